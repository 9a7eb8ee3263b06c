#pragma once
// The config sections' schemas, each defined in the file of its component (internal to
// syn_core): config_kafka.cpp, config_producer.cpp, config_feed.cpp, config_archive.cpp,
// config_translation.cpp; what every consumer shares, observability and the root in config.cpp.
// Declared here so that a section can nest another defined elsewhere.

#include "config_schema.hpp"
#include "syn/core/config.hpp"

namespace syn::config::detail {

template <>
std::span<const std::pair<input_encoding, std::string_view>> enum_names<input_encoding>();
template <>
std::span<const std::pair<archive_backend, std::string_view>> enum_names<archive_backend>();
template <>
std::span<const std::pair<translation_engine, std::string_view>> enum_names<translation_engine>();
template <>
std::span<const std::pair<opencc_variant, std::string_view>> enum_names<opencc_variant>();
template <>
std::span<const std::pair<log_format, std::string_view>> enum_names<log_format>();
template <>
std::span<const std::pair<log_level, std::string_view>> enum_names<log_level>();
template <>
std::span<const std::pair<blob_backend, std::string_view>> enum_names<blob_backend>();

// config_kafka.cpp
template <>
const schema<topic_config>& schema_of<topic_config>();
template <>
const schema<topics_config>& schema_of<topics_config>();
template <>
const schema<kafka_config>& schema_of<kafka_config>();
// config_producer.cpp
template <>
const schema<paper_config>& schema_of<paper_config>();
template <>
const schema<split_config>& schema_of<split_config>();
template <>
const schema<trigger_config>& schema_of<trigger_config>();
template <>
const schema<hot_folder_config>& schema_of<hot_folder_config>();
template <>
const schema<producer_config>& schema_of<producer_config>();
// config_console.cpp
template <>
const schema<console_user>& schema_of<console_user>();
template <>
const schema<console_config>& schema_of<console_config>();
// config_review.cpp
template <>
const schema<review_config>& schema_of<review_config>();
// config_blobs.cpp
template <>
const schema<blobs_s3_config>& schema_of<blobs_s3_config>();
template <>
const schema<blobs_config>& schema_of<blobs_config>();
// config_feed.cpp
template <>
const schema<route_rules>& schema_of<route_rules>();
template <>
const schema<feed_account>& schema_of<feed_account>();
template <>
const schema<feed_server_config>& schema_of<feed_server_config>();
template <>
const schema<feed_state_postgres_config>& schema_of<feed_state_postgres_config>();
template <>
const schema<feed_state_config>& schema_of<feed_state_config>();
template <>
const schema<feed_config>& schema_of<feed_config>();
// config_archive.cpp
template <>
const schema<sqlite_config>& schema_of<sqlite_config>();
template <>
const schema<postgres_config>& schema_of<postgres_config>();
template <>
const schema<archive_config>& schema_of<archive_config>();
// config_translation.cpp
template <>
const schema<translation_target>& schema_of<translation_target>();
template <>
const schema<translation_priorities>& schema_of<translation_priorities>();
template <>
const schema<translation_config>& schema_of<translation_config>();
// config.cpp
template <>
const schema<retry_config>& schema_of<retry_config>();
template <>
const schema<consumer_groups>& schema_of<consumer_groups>();
template <>
const schema<consumers_config>& schema_of<consumers_config>();
template <>
const schema<metrics_listen_config>& schema_of<metrics_listen_config>();
template <>
const schema<observability_config>& schema_of<observability_config>();
template <>
const schema<root>& schema_of<root>();

}  // namespace syn::config::detail

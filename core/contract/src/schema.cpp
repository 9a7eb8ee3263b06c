#include "syn/contract/schema.hpp"

namespace syn::contract {

std::string_view schema_of(topic_role role) noexcept {
  switch (role) {
    case topic_role::issues:
      return schema::issue_manifest;
    case topic_role::articles:
      return schema::article;
    case topic_role::translation_jobs:
      return schema::translation_job;
    case topic_role::translated:
      return schema::article;
    case topic_role::deadletter:
      return schema::dead_letter;
    case topic_role::deliveries:
      return schema::delivery_receipt;
  }
  return {};
}

std::set<std::string> schemas_of(std::initializer_list<topic_role> roles) {
  std::set<std::string> out;
  for (const auto r : roles) out.emplace(schema_of(r));
  return out;
}

}  // namespace syn::contract

#pragma once
/// The contract's dead letter (syn::contract::make_dead_letter) for a consumed Kafka record: used
/// by the runner and by the transactional loops alike.

#include <cstdint>
#include <string>

#include "syn/contract/dead_letter.hpp"
#include "syn/core/kafka/consumer.hpp"

namespace syn {

/// The dead letter for `m`: its coordinates, key, value (its head if over
/// contract::max_dead_letter_value_bytes), headers and timestamp, the reason and error.
/// Its id `<topic>-<partition>-<offset>-<group>` is stable, so a redrive is traceable.
[[nodiscard]] syndication::v1::DeadLetter dead_letter_for(const kafka::message& m,
                                                          syndication::v1::DeadLetter::Reason reason,
                                                          const std::string& error, const std::string& group,
                                                          std::uint32_t attempts);

}  // namespace syn

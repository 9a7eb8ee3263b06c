#include "syn/core/dead_letter.hpp"

namespace syn {

syndication::v1::DeadLetter dead_letter_for(const kafka::message& m,
                                            syndication::v1::DeadLetter::Reason reason,
                                            const std::string& error, const std::string& group,
                                            std::uint32_t attempts) {
  const auto headers = m.headers();
  const contract::failed_record r{m.topic(), m.partition(), m.offset(),   m.key(),
                                  m.value(), headers,       m.timestamp()};
  return contract::make_dead_letter(r, reason, error, group, attempts);
}

}  // namespace syn

// syn::config: the `producer.review` section (issues held for an editor below a confidence).

#include "config_checks.hpp"
#include "config_sections.hpp"

namespace syn::config::detail {

template <>
const schema<review_config>& schema_of<review_config>() {
  static const schema<review_config> s{{
      field("min_confidence", &review_config::min_confidence,
            "`publish` and `serve trigger` hold an issue whose confidence is below this for review "
            "(`syndicate review`) instead of publishing it; 0 = never hold.",
            {expect<double>("a number from 0 to 1", [](double v) { return v >= 0.0 && v <= 1.0; })}),
      field("dir", &review_config::dir,
            "Held issues, one fsync'd file each; `publish`, `serve trigger` and `review` must share it.",
            {not_empty()}),
  }};
  return s;
}

}  // namespace syn::config::detail

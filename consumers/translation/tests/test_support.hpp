#pragma once
/// Shared fixtures of the translation tests.

#include <chrono>
#include <string>

#include "syn/contract/content_hash.hpp"
#include "syn/core/config.hpp"
#include "syndication/v1/article.pb.h"

namespace syn::translation::test {

/// A page-1 article shaped like the splitter's output for the seed issue (hash filled in).
inline syndication::v1::Article sample_article() {
  syndication::v1::Article a;
  a.set_id("cjrb-20240130-01-03");
  a.set_issue_id("cjrb-20240130");
  a.set_sequence(3);
  a.set_page(1);
  a.set_kicker("典范地州·典范行动");
  a.set_headline("昌吉州软件企业推出国产鼠标");
  a.set_subheadline("");
  auto* c = a.add_contributors();
  c->set_name("刘茜");
  c->set_role(syndication::v1::Contributor::REPORTER);
  a.set_dateline_lead(true);
  a.set_dateline("本报讯");
  auto* b0 = a.add_blocks();
  b0->set_kind(syndication::v1::Block::PARAGRAPH);
  b0->set_text("为了推进中国式现代化，企业里面的软件工程师说话算数。");
  auto* b1 = a.add_blocks();
  b1->set_kind(syndication::v1::Block::SUBHEAD);
  b1->set_text("创新驱动");
  auto* b2 = a.add_blocks();
  b2->set_kind(syndication::v1::Block::PARAGRAPH);
  b2->set_text("");
  auto* p = a.add_photos();
  p->set_caption("工人在生产线上组装鼠标");
  p->set_credit("本报记者 杨鹤");
  p->set_after_block(1);
  a.set_language("zh-Hans");
  a.set_paper("cjrb");
  a.set_issue_date("2024-01-30");
  a.set_content_sha256(contract::content_sha256(a));
  return a;
}

/// The default translation config with one zh-Hant OpenCC target.
inline config::translation_config opencc_config(config::opencc_variant v = config::opencc_variant::s2t) {
  config::translation_config cfg;
  cfg.targets.clear();
  config::translation_target t;
  t.language = "zh-Hant";
  t.engine = config::translation_engine::opencc;
  t.opencc = v;
  cfg.targets.push_back(t);
  return cfg;
}

/// A fixed clock value: 2024-01-30T08:00:00Z.
inline std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(1706601600));
}

}  // namespace syn::translation::test

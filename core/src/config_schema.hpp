#pragma once
// Private to config*.cpp: the declarative machinery behind syn::config.
//
// A section is a struct plus a schema<S>: one property per YAML key (key, member, description,
// requiredness, checks) and a list of cross-key rules. Four walks use the same table, so a setting
// is declared once: read (YAML -> struct, type errors and unknown keys), validate (checks and
// rules), write (struct -> YAML) and describe (the key reference). Redpanda's config::property and
// ClickHouse's DECLARE() lists are the models.
//
// Codecs say how one C++ type maps to YAML. Structs use their schema; scalars, lists, maps,
// durations, enums and secrets have their own.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "syn/core/config.hpp"

namespace syn::config::detail {

/// 0-based, as yaml-cpp gives it; line < 0 when unknown.
struct mark {
  int line = -1;
  int column = -1;
  [[nodiscard]] bool known() const noexcept { return line >= 0; }
};

inline mark mark_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return {m.line, m.column};
}

/// Where to report about `n`: its own position, or `fallback` (the key's) when it has none
/// useful. yaml-cpp places an empty value (`key:` and nothing) at the next token, so use the key.
inline mark where(const YAML::Node& n, mark fallback) {
  if (!n.IsDefined() || n.IsNull()) return fallback;
  const mark m = mark_of(n);
  return m.known() ? m : fallback;
}

/// Collects diagnostics for one file.
class reporter {
 public:
  explicit reporter(std::string file) : file_(std::move(file)) {}
  void error(mark m, std::string key, std::string message);
  [[nodiscard]] bool empty() const noexcept { return list_.empty(); }
  /// Whether `key` has an error already (a missing or mistyped key is not also out of range).
  [[nodiscard]] bool has(const std::string& key) const { return keys_.contains(key); }
  /// Sorted by position (position-less ones last), in report order among equals.
  [[nodiscard]] std::vector<diagnostic> take();

 private:
  std::string file_;
  std::vector<diagnostic> list_;
  std::set<std::string> keys_;
};

/// Key path -> position in the file, recorded while reading, used by validation.
using positions = std::unordered_map<std::string, mark>;

struct reader {
  reporter& report;
  positions& pos;
};

/// Reports value errors at the position recorded for a key path, or its nearest recorded
/// ancestor (a defaulted key is reported at its section), or without position.
class validator {
 public:
  validator(reporter& r, const positions* pos) : report_(r), pos_(pos) {}
  void error(const std::string& path, std::string message);

 private:
  reporter& report_;
  const positions* pos_;
};

struct write_options {
  bool mask_secrets = true;
  bool flow = false;  ///< one-line text (no comments), for defaults in describe()
};

enum class read_status {
  ok,
  mismatch,  ///< wrong type: the caller reports "expected X, got Y"
  reported,  ///< problems inside were reported already
};

// --------------------------------------------------------------------------------------------
// Small helpers shared by codecs and config.cpp

inline std::string join_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
inline std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

/// `"text"` with JSON-style escapes.
std::string quote(std::string_view s);
/// How a YAML node reads in "got ...": numbers bare, other scalars quoted, else its kind.
std::string describe_node(const YAML::Node& n);
/// Closest candidate to `word`, if close enough to be a likely typo.
std::string closest(std::string_view word, std::span<const std::string> candidates);
/// ` (did you mean "x"?)` or empty.
std::string did_you_mean(std::string_view word, std::span<const std::string> candidates);
/// Key names that hold credentials when written inline (`token`, `app_secret`, `password`...).
bool looks_like_secret_key(std::string_view key);
bool is_env_name(std::string_view s);

// --------------------------------------------------------------------------------------------
// Schema types

template <class T>
struct check {
  /// What a valid value is, "a positive integer": also the phrase of a type mismatch.
  std::string expected;
  std::function<void(const T&, validator&, const std::string& path)> run;
};

template <class S>
struct property {
  std::string key;
  std::string description;
  bool required = false;
  std::string type;
  std::string expected;
  std::function<read_status(const YAML::Node&, S&, reader&, const std::string&, mark, std::string&)> read;
  std::function<void(const S&, validator&, const std::string&)> validate;
  std::function<void(YAML::Emitter&, const S&, const write_options&)> write;
  std::function<void(const S&, std::vector<key_info>&, const std::string&, const property&)> document;
};

template <class S>
struct schema {
  using rule = std::function<void(const S&, validator&, const std::string& path)>;
  explicit schema(std::vector<property<S>> props, std::vector<rule> cross_rules = {})
      : properties(std::move(props)), rules(std::move(cross_rules)) {}

  std::vector<property<S>> properties;
  /// Cross-key rules, run after every property of S validated.
  std::vector<rule> rules;
};

/// Defined in config.cpp for every section struct.
template <class S>
const schema<S>& schema_of();

/// Defined in config.cpp for every enum: value <-> YAML name.
template <class E>
std::span<const std::pair<E, std::string_view>> enum_names();

// --------------------------------------------------------------------------------------------
// Codecs

template <class T, class Enable = void>
struct codec;  // sections: see the struct codec at the end

template <class T>
struct is_list : std::false_type {};
template <class T>
struct is_list<std::vector<T>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class V>
struct is_map<std::map<std::string, V>> : std::true_type {};

/// A struct read through its schema (not one of the types with a codec of their own).
template <class T>
inline constexpr bool is_section_v =
    std::is_class_v<T> && !is_list<T>::value && !is_map<T>::value && !std::is_same_v<T, std::string> &&
    !std::is_same_v<T, secret> && !std::is_same_v<T, std::chrono::milliseconds>;

template <>
struct codec<std::string> {
  static std::string type() { return "string"; }
  static std::string expected() { return "a string"; }
  static read_status read(const YAML::Node& n, std::string& out, reader&, const std::string&, mark,
                          std::string&) {
    if (n.IsNull()) {
      out.clear();
      return read_status::ok;
    }
    if (!n.IsScalar()) return read_status::mismatch;
    out = n.Scalar();
    return read_status::ok;
  }
  static void write(YAML::Emitter& e, const std::string& v, const write_options&) { e << v; }
  static std::string show(const std::string& v) { return quote(v); }
  static void validate(const std::string&, validator&, const std::string&) {}
  static void document(const std::string&, std::vector<key_info>&, const std::string&) {}
};

template <>
struct codec<bool> {
  static std::string type() { return "bool"; }
  static std::string expected() { return "true or false"; }
  static read_status read(const YAML::Node& n, bool& out, reader&, const std::string&, mark, std::string&) {
    if (!n.IsScalar()) return read_status::mismatch;
    const std::string& s = n.Scalar();
    for (const char* t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}) {
      if (s == t) return out = true, read_status::ok;
    }
    for (const char* f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}) {
      if (s == f) return out = false, read_status::ok;
    }
    return read_status::mismatch;
  }
  static void write(YAML::Emitter& e, bool v, const write_options&) { e << (v ? "true" : "false"); }
  static std::string show(bool v) { return v ? "true" : "false"; }
  static void validate(bool, validator&, const std::string&) {}
  static void document(bool, std::vector<key_info>&, const std::string&) {}
};

template <class T>
struct codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  static std::string type() { return "integer"; }
  static std::string expected() { return std::is_signed_v<T> ? "an integer" : "a non-negative integer"; }
  static read_status read(const YAML::Node& n, T& out, reader&, const std::string&, mark, std::string&) {
    if (!n.IsScalar()) return read_status::mismatch;
    std::string_view s = n.Scalar();
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return read_status::mismatch;
    out = v;
    return read_status::ok;
  }
  static void write(YAML::Emitter& e, T v, const write_options&) { e << std::to_string(v); }
  static std::string show(T v) { return std::to_string(v); }
  static void validate(T, validator&, const std::string&) {}
  static void document(T, std::vector<key_info>&, const std::string&) {}
};

template <>
struct codec<double> {
  static std::string type() { return "number"; }
  static std::string expected() { return "a number"; }
  static read_status read(const YAML::Node& n, double& out, reader&, const std::string&, mark, std::string&) {
    if (!n.IsScalar()) return read_status::mismatch;
    const std::string& s = n.Scalar();
    double v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return read_status::mismatch;
    out = v;
    return read_status::ok;
  }
  static void write(YAML::Emitter& e, double v, const write_options&) { e << show(v); }
  static std::string show(double v);
  static void validate(double, validator&, const std::string&) {}
  static void document(double, std::vector<key_info>&, const std::string&) {}
};

/// Durations are integers of milliseconds; their keys end in `_ms`.
template <>
struct codec<std::chrono::milliseconds> {
  using ms = std::chrono::milliseconds;
  static std::string type() { return "milliseconds"; }
  static std::string expected() { return "a number of milliseconds"; }
  static read_status read(const YAML::Node& n, ms& out, reader& r, const std::string& p, mark m,
                          std::string& hint) {
    std::int64_t v = 0;
    const read_status s = codec<std::int64_t>::read(n, v, r, p, m, hint);
    if (s == read_status::ok) out = ms{v};
    return s;
  }
  static void write(YAML::Emitter& e, ms v, const write_options&) { e << std::to_string(v.count()); }
  static std::string show(ms v) { return std::to_string(v.count()); }
  static void validate(ms, validator&, const std::string&) {}
  static void document(ms, std::vector<key_info>&, const std::string&) {}
};

template <class E>
struct codec<E, std::enable_if_t<std::is_enum_v<E>>> {
  static std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& [v, name] : enum_names<E>()) out.emplace_back(name);
    return out;
  }
  static std::string type() {
    std::string t;
    for (const auto& n : names()) t += (t.empty() ? "" : "|") + n;
    return t;
  }
  static std::string expected() {
    std::string t = "one of ";
    const auto all = names();
    for (std::size_t i = 0; i < all.size(); ++i) t += (i == 0 ? "" : ", ") + all[i];
    return t;
  }
  static read_status read(const YAML::Node& n, E& out, reader&, const std::string&, mark, std::string& hint) {
    if (!n.IsScalar()) return read_status::mismatch;
    for (const auto& [v, name] : enum_names<E>()) {
      if (n.Scalar() == name) return out = v, read_status::ok;
    }
    const auto all = names();
    hint = did_you_mean(n.Scalar(), all);
    return read_status::mismatch;
  }
  static std::string_view name(E v) {
    for (const auto& [value, n] : enum_names<E>()) {
      if (value == v) return n;
    }
    return "?";
  }
  static void write(YAML::Emitter& e, E v, const write_options&) { e << std::string(name(v)); }
  static std::string show(E v) { return std::string(name(v)); }
  static void validate(E, validator&, const std::string&) {}
  static void document(E, std::vector<key_info>&, const std::string&) {}
};

/// A secret is written as the name of its variable; the value never comes from the file.
template <>
struct codec<secret> {
  static std::string type() { return "env var name"; }
  static std::string expected() { return "the name of an environment variable (A-Z, 0-9, _)"; }
  static read_status read(const YAML::Node& n, secret& out, reader&, const std::string&, mark, std::string&) {
    if (n.IsNull()) {
      out.env.clear();
      return read_status::ok;
    }
    if (!n.IsScalar()) return read_status::mismatch;
    out.env = n.Scalar();
    return read_status::ok;
  }
  static void write(YAML::Emitter& e, const secret& v, const write_options& o);
  static std::string show(const secret& v) { return quote(v.env); }
  /// The value is not echoed: a secret pasted where its variable's name belongs must not
  /// end up in logs.
  static void validate(const secret& v, validator& val, const std::string& path) {
    if (!v.env.empty() && !is_env_name(v.env)) {
      val.error(path,
                "expected " + expected() +
                    ", got something else (not shown: it may be the secret itself; put the value in the "
                    "environment and its variable's name here)");
    }
  }
  static void document(const secret&, std::vector<key_info>&, const std::string&) {}
};

template <class T>
struct codec<std::vector<T>> {
  static std::string type() { return "list of " + codec<T>::type(); }
  static std::string expected() { return "a list"; }
  static read_status read(const YAML::Node& n, std::vector<T>& out, reader& r, const std::string& path,
                          mark at, std::string&) {
    if (n.IsNull()) {
      out.clear();
      return read_status::ok;
    }
    if (!n.IsSequence()) return read_status::mismatch;
    std::vector<T> items;
    bool clean = true;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node item = n[i];
      const std::string p = index_path(path, i);
      const mark m = where(item, at);
      r.pos.emplace(p, m);
      T value{};
      std::string hint;
      switch (codec<T>::read(item, value, r, p, m, hint)) {
        case read_status::ok:
          break;
        case read_status::mismatch:
          r.report.error(m, p, "expected " + codec<T>::expected() + ", got " + describe_node(item) + hint);
          clean = false;
          break;
        case read_status::reported:
          clean = false;
          break;
      }
      items.push_back(std::move(value));
    }
    out = std::move(items);
    return clean ? read_status::ok : read_status::reported;
  }
  static void write(YAML::Emitter& e, const std::vector<T>& v, const write_options& o) {
    if (v.empty() || !is_section_v<T> || o.flow) e << YAML::Flow;
    e << YAML::BeginSeq;
    for (const auto& x : v) codec<T>::write(e, x, o);
    e << YAML::EndSeq;
  }
  static std::string show(const std::vector<T>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : ", ") + codec<T>::show(v[i]);
    return s + "]";
  }
  static void validate(const std::vector<T>& v, validator& val, const std::string& path) {
    for (std::size_t i = 0; i < v.size(); ++i) codec<T>::validate(v[i], val, index_path(path, i));
  }
  static void document(const std::vector<T>&, std::vector<key_info>& out, const std::string& path) {
    codec<T>::document(T{}, out, path + "[]");
  }
};

/// Open maps (`kafka.client`, topic `config`): any key; values are scalars.
template <class V>
struct codec<std::map<std::string, V>> {
  static std::string type() { return "map of " + codec<V>::type(); }
  static std::string expected() { return "a mapping"; }
  static read_status read(const YAML::Node& n, std::map<std::string, V>& out, reader& r,
                          const std::string& path, mark at, std::string&) {
    if (n.IsNull()) {
      out.clear();
      return read_status::ok;
    }
    if (!n.IsMap()) return read_status::mismatch;
    std::map<std::string, V> items;
    bool clean = true;
    for (const auto& kv : n) {
      const mark km = where(kv.first, at);
      if (!kv.first.IsScalar()) {
        r.report.error(km, path, "expected a plain key, got " + describe_node(kv.first));
        clean = false;
        continue;
      }
      const std::string p = join_path(path, kv.first.Scalar());
      if (items.contains(kv.first.Scalar())) {
        r.report.error(km, p, "duplicate key");
        clean = false;
        continue;
      }
      const mark vm = kv.second.IsScalar() ? where(kv.second, km) : km;
      r.pos.emplace(p, vm);
      V value{};
      std::string hint;
      switch (codec<V>::read(kv.second, value, r, p, vm, hint)) {
        case read_status::ok:
          break;
        case read_status::mismatch:
          r.report.error(vm, p,
                         "expected " + codec<V>::expected() + ", got " + describe_node(kv.second) + hint);
          clean = false;
          break;
        case read_status::reported:
          clean = false;
          break;
      }
      items.emplace(kv.first.Scalar(), std::move(value));
    }
    out = std::move(items);
    return clean ? read_status::ok : read_status::reported;
  }
  static void write(YAML::Emitter& e, const std::map<std::string, V>& v, const write_options& o) {
    if (v.empty() || o.flow) e << YAML::Flow;
    e << YAML::BeginMap;
    for (const auto& [k, x] : v) {
      e << YAML::Key << k << YAML::Value;
      codec<V>::write(e, x, o);
    }
    e << YAML::EndMap;
  }
  static std::string show(const std::map<std::string, V>& v) {
    std::string s = "{";
    bool first = true;
    for (const auto& [k, x] : v) {
      s += (first ? "" : ", ") + k + ": " + codec<V>::show(x);
      first = false;
    }
    return s + "}";
  }
  static void validate(const std::map<std::string, V>& v, validator& val, const std::string& path) {
    for (const auto& [k, x] : v) codec<V>::validate(x, val, join_path(path, k));
  }
  static void document(const std::map<std::string, V>&, std::vector<key_info>&, const std::string&) {}
};

/// Reads a mapping into section S through its schema: unknown keys (with a "did you mean" and the
/// inline-secret rule), duplicate keys and missing required keys are reported here.
template <class S>
read_status read_section(const YAML::Node& n, S& out, reader& r, const std::string& path, mark at);

/// Sections: every other class type, through schema_of<S>().
template <class S>
struct codec<S, std::enable_if_t<is_section_v<S>>> {
  static std::string type() { return "mapping"; }
  static std::string expected() { return "a mapping"; }
  static read_status read(const YAML::Node& n, S& out, reader& r, const std::string& path, mark at,
                          std::string&) {
    return read_section(n, out, r, path, at);
  }
  static void write(YAML::Emitter& e, const S& v, const write_options& o) {
    if (o.flow) e << YAML::Flow;
    e << YAML::BeginMap;
    for (const auto& p : schema_of<S>().properties) {
      e << YAML::Key << p.key << YAML::Value;
      p.write(e, v, o);
    }
    e << YAML::EndMap;
  }
  static std::string show(const S& v) {
    YAML::Emitter e;
    write(e, v, write_options{true, true});
    return e.c_str();
  }
  static void validate(const S& v, validator& val, const std::string& path) {
    const auto& sch = schema_of<S>();
    for (const auto& p : sch.properties) p.validate(v, val, join_path(path, p.key));
    for (const auto& rule : sch.rules) rule(v, val, path);
  }
  static void document(const S& v, std::vector<key_info>& out, const std::string& path) {
    for (const auto& p : schema_of<S>().properties) p.document(v, out, join_path(path, p.key), p);
  }
};

template <class S>
read_status read_section(const YAML::Node& n, S& out, reader& r, const std::string& path, mark at) {
  const auto& sch = schema_of<S>();
  if (!n.IsNull() && !n.IsMap()) return read_status::mismatch;
  bool clean = true;
  std::set<std::string> seen;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      const mark km = where(kv.first, at);
      if (!kv.first.IsScalar()) {
        r.report.error(km, path, "expected a plain key, got " + describe_node(kv.first));
        clean = false;
        continue;
      }
      const std::string& key = kv.first.Scalar();
      const std::string p = join_path(path, key);
      const auto it = std::find_if(sch.properties.begin(), sch.properties.end(),
                                   [&](const property<S>& x) { return x.key == key; });
      if (it == sch.properties.end()) {
        std::vector<std::string> keys;
        for (const auto& x : sch.properties) keys.push_back(x.key);
        std::vector<std::string> env_keys;
        for (const auto& x : keys) {
          if (x.ends_with("_env")) env_keys.push_back(x);
        }
        const std::string env_form = key + "_env";
        if (std::find(keys.begin(), keys.end(), env_form) != keys.end()) {
          r.report.error(
              km, p,
              "inline secrets are not allowed: put the value in an environment variable and name it "
              "with `" +
                  env_form + ": VARIABLE`");
        } else if (looks_like_secret_key(key)) {
          r.report.error(
              km, p,
              "looks like an inline secret, which is not allowed: secrets come only from environment "
              "variables named by `*_env` keys" +
                  (env_keys.size() == 1 ? " (here `" + env_keys.front() + ": VARIABLE`)" : std::string()));
        } else {
          r.report.error(km, p, "unknown key" + did_you_mean(key, keys));
        }
        clean = false;
        continue;
      }
      if (!seen.insert(key).second) {
        r.report.error(km, p, "duplicate key");
        clean = false;
        continue;
      }
      const YAML::Node& value = kv.second;
      const mark vm = value.IsScalar() ? where(value, km) : km;
      r.pos.emplace(p, vm);
      std::string hint;
      switch (it->read(value, out, r, p, vm, hint)) {
        case read_status::ok:
          break;
        case read_status::mismatch:
          r.report.error(vm, p, "expected " + it->expected + ", got " + describe_node(value) + hint);
          clean = false;
          break;
        case read_status::reported:
          clean = false;
          break;
      }
    }
  }
  for (const auto& x : sch.properties) {
    if (x.required && !seen.contains(x.key)) {
      r.report.error(at, join_path(path, x.key), "missing required key");
      clean = false;
    }
  }
  return clean ? read_status::ok : read_status::reported;
}

// --------------------------------------------------------------------------------------------
// Declaring properties

/// `key` in YAML is `member` of S. The first check's `expected` also words a type mismatch.
template <class S, class T>
// NOLINTNEXTLINE(performance-unnecessary-value-param): both are moved below; clang-tidy 14 misses it here.
property<S> field(std::string key, T S::*member, std::string description, std::vector<check<T>> checks = {}) {
  property<S> p;
  p.key = std::move(key);
  p.description = std::move(description);
  p.type = codec<T>::type();
  p.expected =
      checks.empty() || checks.front().expected.empty() ? codec<T>::expected() : checks.front().expected;
  p.read = [member](const YAML::Node& n, S& s, reader& r, const std::string& path, mark at,
                    std::string& hint) {
    // Read into a copy so a half-read value never replaces the default.
    T value = s.*member;
    const read_status st = codec<T>::read(n, value, r, path, at, hint);
    if (st != read_status::mismatch) s.*member = std::move(value);
    return st;
  };
  p.validate = [member, checks = std::move(checks)](const S& s, validator& v, const std::string& path) {
    codec<T>::validate(s.*member, v, path);
    for (const auto& c : checks) c.run(s.*member, v, path);
  };
  p.write = [member](YAML::Emitter& e, const S& s, const write_options& o) {
    codec<T>::write(e, s.*member, o);
  };
  p.document = [member](const S& s, std::vector<key_info>& out, const std::string& path,
                        const property<S>& self) {
    if (!is_section_v<T>) {
      YAML::Emitter e;
      codec<T>::write(e, s.*member, write_options{true, true});
      out.push_back({path, self.type, e.c_str(), self.required, self.description});
    }
    codec<T>::document(s.*member, out, path);
  };
  return p;
}

template <class S>
property<S> required(property<S> p) {
  p.required = true;
  return p;
}

/// A check from a predicate: on failure, "expected <expected>, got <value>".
template <class T, class Pred>
check<T> expect(std::string expected, Pred ok) {
  return {expected, [expected, ok](const T& v, validator& val, const std::string& path) {
            if (!ok(v)) val.error(path, "expected " + expected + ", got " + codec<T>::show(v));
          }};
}

/// Applies `c` to every element, reporting at `path[i]`.
template <class T>
check<std::vector<T>> each(check<T> c) {
  return {"", [c](const std::vector<T>& v, validator& val, const std::string& path) {
            for (std::size_t i = 0; i < v.size(); ++i) c.run(v[i], val, index_path(path, i));
          }};
}

}  // namespace syn::config::detail

#pragma once
/// The error type of a component whose fallible calls return `result<T>` instead of throwing (the
/// archive store, the translation queue): a code of the component's own `errc` enum and a one-line
/// message. The component declares, in its namespace, `enum class errc` (registered with
/// `std::is_error_code_enum`), its category, `make_error_code(errc)` and
/// `is_retriable(std::error_code)`, then
///
///     using error = syn::component_error<errc>;
///     template <class T> using result = syn::component_result<T, error>;
///
/// `make_error_code` and `is_retriable` are found by argument-dependent lookup on `errc`.

#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>
#include <boost/outcome/success_failure.hpp>
#include <string>
#include <system_error>
#include <utility>

namespace syn {

/// A failed operation of the component that owns `Errc`. Cheap to copy; immutable.
template <class Errc>
class component_error {
 public:
  component_error() = default;
  /// `message` is one line without the "<category>: " prefix; empty = the code's description.
  component_error(Errc code, std::string message) : code_(code), message_(std::move(message)) {
    if (message_.empty()) message_ = this->code().message();
  }

  [[nodiscard]] std::error_code code() const noexcept { return make_error_code(code_); }
  [[nodiscard]] Errc value() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  /// Whether repeating the failed call later can succeed: the component's `is_retriable()`.
  [[nodiscard]] bool retriable() const noexcept { return is_retriable(code_); }
  /// "<category>: <message>" ("archive: ...", "translation: ..."), the line the CLI prints after
  /// "syndicate: " and logs and dead letters carry.
  [[nodiscard]] std::string to_string() const {
    return std::string(code().category().name()) + ": " + message_;
  }

  bool operator==(Errc e) const noexcept { return code_ == e; }

 private:
  Errc code_ = Errc{};
  std::string message_;
};

/// Value-or-error; the error is always `Error`. Accessing the wrong alternative terminates.
template <class T, class Error>
using component_result = boost::outcome_v2::basic_result<T, Error, boost::outcome_v2::policy::terminate>;

}  // namespace syn

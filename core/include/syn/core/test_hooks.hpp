#pragma once
/// Crash points for the kill tests (tests/e2e/publish_contract.sh, tests/e2e/translation_flow.sh,
/// tests/reliability/kill_consumers.sh): the process exits with status 70 as if killed, at a point
/// a test chooses, with records of an open Kafka transaction on the broker.
///
/// A test-only interface. Production code only reads points(); nothing sets them unless a test
/// calls set_points(), or the build was configured with SYN_TEST_HOOKS=ON (the dev and asan-ubsan
/// presets, which the test command uses), in which case they are read once from the environment:
/// SYNDICATE_TEST_EXIT_AFTER_RECORDS=N (the publisher, after N records of a transaction) and
/// SYNDICATE_TEST_EXIT_IN_TRANSACTION=N (the transactional loop, in its Nth batch, after its
/// output records and before the offsets and the commit). The release preset (the shipped binary
/// and the container images) is built without them: it never looks at those variables.
///
/// Thread-safety: set_points() before any other thread runs; points() from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>

namespace syn::test_hooks {

struct crash_points {
  std::optional<std::size_t> exit_after_records;
  std::optional<std::uint64_t> exit_in_transaction;
};

/// The crash points in force (none, in production).
[[nodiscard]] const crash_points& points() noexcept;

/// Replaces the crash points (tests only).
void set_points(const crash_points& p) noexcept;

/// Whether this build reads crash points from the environment (SYN_TEST_HOOKS).
[[nodiscard]] bool from_environment() noexcept;

}  // namespace syn::test_hooks

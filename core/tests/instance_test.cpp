#include "syn/core/instance.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace {

namespace fs = std::filesystem;
using syn::instance::acquire;

class InstanceLease : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("syn-instance-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ::unsetenv("SYNDICATE_INSTANCE");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  const std::string host_ = syn::instance::host_name();
};

TEST_F(InstanceLease, TwoProcessesOfOneRoleOnOneHostGetDifferentIds) {
  const auto a = acquire("translator", "", dir_);
  const auto b = acquire("translator", "", dir_);
  EXPECT_EQ(a.id(), host_ + "-0");
  EXPECT_EQ(b.id(), host_ + "-1");
  EXPECT_FALSE(a.given());
  // Another role has slots of its own.
  EXPECT_EQ(acquire("translation", "", dir_).id(), host_ + "-0");
}

TEST_F(InstanceLease, ARestartedInstanceGetsItsIdBack) {
  std::string first;
  {
    const auto a = acquire("trigger", "", dir_);
    first = a.id();
  }
  EXPECT_EQ(acquire("trigger", "", dir_).id(), first);
}

// kill -9 must free the slot: the kernel drops a dead process's flock, so a supervisor's restart
// takes the same transactional.id and fences (aborts) the dead instance's open transaction.
TEST_F(InstanceLease, ASlotOfAKilledProcessIsFreeAgain) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      const auto l = acquire("cli", "", dir_);
      const char ok = l.id() == host_ + "-0" ? 'y' : 'n';
      [[maybe_unused]] auto n = ::write(ready[1], &ok, 1);
      ::pause();
    } catch (...) {
    }
    ::_exit(3);
  }
  ::close(ready[1]);
  char got = 0;
  ASSERT_EQ(::read(ready[0], &got, 1), 1);
  ::close(ready[0]);
  EXPECT_EQ(got, 'y');
  {
    const auto while_alive = acquire("cli", "", dir_);
    EXPECT_EQ(while_alive.id(), host_ + "-1");
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(acquire("cli", "", dir_).id(), host_ + "-0");
}

TEST_F(InstanceLease, AGivenIdHeldByAnotherProcessIsRefusedWithTheLockNamed) {
  const auto a = acquire("translator", "blue", dir_);
  EXPECT_EQ(a.id(), "blue");
  EXPECT_TRUE(a.given());
  try {
    (void)acquire("translator", "blue", dir_);
    FAIL() << "a second holder of instance blue was let through";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("instance \"blue\" of translator is already running"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(dir_.string()), std::string::npos) << e.what();
  }
}

TEST_F(InstanceLease, TheEnvironmentGivesTheIdWhenNoFlagDoes) {
  ::setenv("SYNDICATE_INSTANCE", "pod-7", 1);
  const auto a = acquire("translation", "", dir_);
  ::unsetenv("SYNDICATE_INSTANCE");
  EXPECT_EQ(a.id(), "pod-7");
  EXPECT_TRUE(a.given());
  EXPECT_EQ(acquire("translation", "flag-wins", dir_).id(), "flag-wins");
}

TEST_F(InstanceLease, ALockDirThatIsASymlinkIsRefused) {
  const fs::path real = dir_.string() + "-real";
  fs::create_directories(real);
  fs::create_symlink(real, dir_);
  EXPECT_THROW((void)acquire("cli", "", dir_), std::runtime_error);
  fs::remove(dir_);
  fs::remove_all(real);
}

}  // namespace

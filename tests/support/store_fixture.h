// A test fixture with a world on an in-memory block device: create it, reopen it, take snapshots, each
// failure reported with the store's message (test support; tests/store).
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/store.h"
#include "support/memory_block_device.h"
#include "support/test_world.h"

namespace phantom::testing {

class StoreFixture : public ::testing::Test {
 protected:
  std::unique_ptr<store::Store> create(store::StoreOptions options = {}, store::CreateOptions create = small_world()) {
    auto store = store::Store::create(*env_, BorrowedDevice::of(device_), create, options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<store::Store> reopen(store::StoreOptions options = {}) {
    auto store = store::Store::open(*env_, BorrowedDevice::of(device_), options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }
  store::SnapshotReport snapshot(store::Store& store) {
    auto report = store.snapshot(control_);
    EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
    return report.ok() ? report.value() : store::SnapshotReport{};
  }

  std::unique_ptr<host::Env> env_ = host::make_host_env();
  MemoryBlockDevice device_;
  CountingControl control_;
};

}  // namespace phantom::testing

// An instance's disk: a sparse file of its --disk size holding a btrfs filesystem, mounted
// through a loop device while the instance runs or is changed. The size of the file is
// the instance's quota (a write past it is ENOSPC inside, whatever the host's free space);
// btrfs gives O(1) snapshots of the writable layer (subvolume snapshots, copy-on-write).
//
// Inside the filesystem:
//   layer/               a subvolume holding the overlay's two directories, which must be
//                        on one filesystem and one subvolume (a rename between subvolumes
//                        is EXDEV, and overlayfs renames from work/ into upper/):
//   layer/upper/         the overlay's upper layer (the instance's changes)
//   layer/work/          the overlay's work directory
//   snapshots/NAME       read-only snapshots of layer/
// upper/ and work/ belong to the instance's root on the host (its slot's base ID).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::instance {

inline constexpr const char* kLayer = "layer";
inline constexpr uint64_t kMinDiskBytes = 256ull << 20;  // mkfs.btrfs's floor, and some room

// A new disk image at image_path (exclusive; 0600), formatted with mkfs.btrfs, with layer/
// (upper/, work/) and snapshots/ made and handed to owner (host IDs). The image is removed on
// failure.
Status make_disk(const std::string& image_path, uint64_t bytes, const std::string& mountpoint,
                 uint32_t owner_uid, uint32_t owner_gid);

// Mounts the image at mountpoint (nosuid, nodev) unless something is mounted there already.
Status mount_disk(const std::string& image_path, const std::string& mountpoint);
// Unmounts it (lazily: the loop device goes once the last user is gone). No error when not
// mounted.
Status unmount_disk(const std::string& mountpoint);
bool disk_mounted(const std::string& mountpoint);

// Snapshots of layer/, on a mounted disk.
Status snapshot_upper(const std::string& mountpoint, const std::string& name);
// layer/ replaced by a writable snapshot of snapshots/NAME (the current one is deleted).
Status restore_upper(const std::string& mountpoint, const std::string& name);
Status delete_snapshot(const std::string& mountpoint, const std::string& name);
Result<std::vector<std::string>> list_snapshots(const std::string& mountpoint);

// A snapshot's name: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}.
bool valid_snapshot_name(const std::string& name);

}  // namespace cordon::instance

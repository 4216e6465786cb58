#include "image_io/reader.h"

namespace cordon::image_io {

Result<ArchivePtr> open_archive(const std::string& path, bool raw) {
  ArchivePtr a(archive_read_new());
  if (!a) return logic_error("archive_read_new", path, "out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_bzip2(a.get());
  if (raw)
    archive_read_support_format_raw(a.get());
  else
    archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    const char* why = archive_error_string(a.get());
    return logic_error("read archive", path, why != nullptr ? why : "cannot be read");
  }
  return a;
}

}  // namespace cordon::image_io

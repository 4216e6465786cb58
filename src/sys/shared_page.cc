#include "sys/shared_page.h"

#include <sys/mman.h>

namespace cordon::sys {

SharedPage& SharedPage::operator=(SharedPage&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

SharedPage::~SharedPage() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

Result<SharedPage> SharedPage::create(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return sys_error("mmap", "shared page");
  SharedPage page;
  page.data_ = p;
  page.size_ = bytes;
  return page;
}

}  // namespace cordon::sys

// What the daemon writes and decompresses for its archives: the tar of a job's files
// (archive/tar_write.h), read back by the same parser that takes uploads, and the bounded
// gunzip of a .tar.gz upload (archive/gzip.h), with the seeds of fuzz/corpus/tar-gz.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cerrno>
#include <string>
#include <vector>

#include "archive/gzip.h"
#include "archive/tar.h"
#include "archive/tar_write.h"
#include "corpus.h"

namespace cordon::archive {
namespace {

std::string gzip_of(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct File {
  std::string path;
  bool dir;
  uint32_t mode;
  std::string data;
};

std::string tar_of(const std::vector<File>& files) {
  std::string out;
  for (const auto& f : files) {
    out += tar_header({f.path, f.dir, f.mode, f.data.size(), 1700000000});
    out += f.data + tar_padding(f.data.size());
  }
  return out + tar_end();
}

TEST(TarWrite, WhatIsWrittenReadsBackEntryForEntry) {
  const std::string long_name = "d/" + std::string(150, 'x');  // fits no ustar field
  const std::string split = std::string(90, 'p') + "/" + std::string(90, 'n');  // prefix+name
  std::vector<File> files = {{"d", true, 0755, ""},
                             {"d/a.txt", false, 0640, "hello\n"},
                             {long_name, false, 0600, std::string(1000, 'z')},
                             {std::string(90, 'p'), true, 0700, ""},
                             {split, false, 0644, ""}};
  std::string tar = tar_of(files);
  EXPECT_EQ(tar.size() % kTarBlock, 0u);
  auto parsed = parse_tar(tar);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(files[i].path);
    EXPECT_EQ((*parsed)[i].path, files[i].path);
    EXPECT_EQ((*parsed)[i].type == TarEntry::Type::kDir, files[i].dir);
    EXPECT_EQ((*parsed)[i].mode, files[i].mode);
    EXPECT_EQ((*parsed)[i].data, files[i].data);
  }
}

TEST(TarWrite, ASizeOverElevenOctalDigitsGoesInAPaxRecord) {
  const uint64_t big = (8ull << 30) + 1;
  std::string h = tar_header({"big", false, 0644, big, 0});
  EXPECT_EQ(h.size(), 3 * kTarBlock);  // the pax header, its records, the entry's header
  EXPECT_NE(h.find(" size=" + std::to_string(big) + "\n"), std::string::npos);
  EXPECT_EQ(tar_padding(0), "");
  EXPECT_EQ(tar_padding(1).size(), 511u);
  EXPECT_EQ(tar_padding(512), "");
  EXPECT_EQ(tar_end(), std::string(1024, '\0'));
}

TEST(Gunzip, DecompressesWithinTheBoundAndRefusesPastIt) {
  std::string data(100000, 'a');
  std::string gz = gzip_of(data);
  EXPECT_TRUE(is_gzip(gz));
  EXPECT_FALSE(is_gzip(data));
  EXPECT_FALSE(is_gzip("\x1f"));
  auto ok = gunzip(gz, data.size());
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(*ok, data);
  auto over = gunzip(gz, data.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().err, E2BIG);
  EXPECT_EQ(over.error().step, "gunzip");
  // Two members in a row (cat a.gz b.gz) are one stream.
  auto two = gunzip(gz + gzip_of("tail"), 1 << 20);
  ASSERT_TRUE(two.ok()) << two.error().to_string();
  EXPECT_EQ(*two, data + "tail");
  // Junk after a member, a stream cut short, a bad checksum: refused, not E2BIG.
  for (const std::string& bad : {gz + "junk", gz.substr(0, gz.size() / 2),
                                 gz.substr(0, gz.size() - 8) + std::string(8, '\0')}) {
    auto r = gunzip(bad, 1 << 20);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().err, E2BIG) << r.error().to_string();
    EXPECT_EQ(r.error().step, "gunzip");
  }
}

// The seeds of fuzz/tar_fuzz.cc's gzip path: good-* decompress within the fuzzer's 4 MiB
// and parse; bad-* are refused by gunzip.
TEST(Gunzip, CorpusSeeds) {
  const auto corpus = cordon::testing::read_corpus(CORDON_TAR_GZ_CORPUS);
  ASSERT_FALSE(corpus.empty());
  for (const auto& [name, bytes] : corpus) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(is_gzip(bytes));
    auto plain = gunzip(bytes, 4 << 20);
    if (name.rfind("good-", 0) == 0) {
      ASSERT_TRUE(plain.ok()) << plain.error().to_string();
      auto parsed = parse_tar(*plain);
      EXPECT_TRUE(parsed.ok()) << parsed.error().to_string();
    } else {
      EXPECT_FALSE(plain.ok());
    }
  }
}

}  // namespace
}  // namespace cordon::archive

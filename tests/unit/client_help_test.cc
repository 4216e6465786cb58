// The help of `cordon job` and `cordon tenant`: made from the option tables the parser
// reads, in the layout of cordon run --help.
#include <gtest/gtest.h>

#include <string>

#include "client/args.h"
#include "client/job_body.h"
#include "client/subcommand.h"

namespace cordon::client {
namespace {

TEST(ClientHelp, InCordonRunsStyleFromTheParsersOwnTable) {
  std::string h =
      client_help_text("cordon job x ID [OPTIONS]", "Does x.\n",
                       {{"--state", true, "S", "one line\nand another"}, {"--all"}}, "0 done.\n");
  EXPECT_EQ(h,
            "Usage: cordon job x ID [OPTIONS]\n"
            "\n"
            "Does x.\n"
            "\n"
            "Options:\n"
            "  --state S             one line\n"
            "                        and another\n"
            "  --all\n"
            "  -h, --help            this help\n"
            "\n"
            "Connection (every command):\n" +
                options_text(kGlobalOptions) +
                "\n"
                "Exit status: 0 done.\n");
  // Every global option the parser takes is in it, with its value.
  for (const char* o : {"  --url URL ", "  --socket PATH ", "  --ca FILE ", "  --token-file FILE "})
    EXPECT_NE(h.find(o), std::string::npos) << o;
}

TEST(ClientHelp, EveryCommandsOptionsComeFromTheParsersTables) {
  OptionSpec json_option = {"--json", false, "", "print the daemon's JSON"};
  std::string block = every_command_options({json_option});
  std::vector<OptionSpec> all = {json_option};
  all.insert(all.end(), kGlobalOptions.begin(), kGlobalOptions.end());
  all.push_back(kHelpOption);
  EXPECT_EQ(block, "Options of every command:\n" + options_text(all));
  EXPECT_NE(block.find("  --token-file FILE "), std::string::npos) << block;
  EXPECT_NE(block.find("  -h, --help "), std::string::npos) << block;
}

TEST(ClientHelp, ALongOptionGetsItsHelpOnTheNextLine) {
  EXPECT_EQ(options_text({{"--a-very-long-option", true, "VALUE", "help"}}),
            "  --a-very-long-option VALUE\n                        help\n");
}

TEST(ClientHelp, SubmitsHelpListsEveryOptionItTakes) {
  for (const auto& o : kSubmitOptions) {
    SCOPED_TRACE(std::string(o.name));
    EXPECT_FALSE(o.help.empty());
    EXPECT_EQ(o.takes_value, !o.value.empty());
  }
}

}  // namespace
}  // namespace cordon::client

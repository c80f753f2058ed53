#include "beanstalk/beanstalk_protocol.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace p = coyote::drivers::beanstalk::protocol;
using p::ParseStatus;
using p::ReplyKind;

namespace {

p::ParseResult parse(std::string_view bytes, std::size_t max_data = 65536) {
  return p::parse_reply(bytes, max_data);
}

}  // namespace

TEST_CASE("commands are encoded as beanstalkd's protocol.txt spells them",
          "[beanstalk][protocol]") {
  std::string out;
  p::put(out, 1024, 5, 30, "hello");
  CHECK(out == "put 1024 5 30 5\r\nhello\r\n");
  out.clear();
  p::put(out, 4294967295u, 0, 2, "");
  CHECK(out == "put 4294967295 0 2 0\r\n\r\n");
  out.clear();
  p::use(out, "emails");
  p::watch(out, "emails");
  p::ignore(out, "default");
  p::reserve_with_timeout(out, 0);
  p::delete_job(out, 18446744073709551615ULL);
  p::release(out, 7, 10, 3);
  p::touch(out, 7);
  p::peek(out, 8);
  p::stats(out);
  p::stats_job(out, 9);
  p::stats_tube(out, "emails");
  CHECK(out ==
        "use emails\r\nwatch emails\r\nignore default\r\nreserve-with-timeout 0\r\n"
        "delete 18446744073709551615\r\nrelease 7 10 3\r\ntouch 7\r\npeek 8\r\nstats\r\n"
        "stats-job 9\r\nstats-tube emails\r\n");
}

TEST_CASE("a put body with CR LF inside is sent verbatim, the length counts it",
          "[beanstalk][protocol]") {
  std::string out;
  p::put(out, 0, 0, 2, std::string("a\r\nb\0c", 6));
  CHECK(out == std::string("put 0 0 2 6\r\na\r\nb\0c\r\n", 21));
}

TEST_CASE("every single-line reply beanstalkd sends is recognised", "[beanstalk][protocol]") {
  const std::pair<const char*, ReplyKind> cases[] = {
      {"BURIED\r\n", ReplyKind::kBuried},
      {"EXPECTED_CRLF\r\n", ReplyKind::kExpectedCrlf},
      {"JOB_TOO_BIG\r\n", ReplyKind::kJobTooBig},
      {"DRAINING\r\n", ReplyKind::kDraining},
      {"NOT_IGNORED\r\n", ReplyKind::kNotIgnored},
      {"DEADLINE_SOON\r\n", ReplyKind::kDeadlineSoon},
      {"TIMED_OUT\r\n", ReplyKind::kTimedOut},
      {"DELETED\r\n", ReplyKind::kDeleted},
      {"RELEASED\r\n", ReplyKind::kReleased},
      {"TOUCHED\r\n", ReplyKind::kTouched},
      {"NOT_FOUND\r\n", ReplyKind::kNotFound},
      {"OUT_OF_MEMORY\r\n", ReplyKind::kOutOfMemory},
      {"INTERNAL_ERROR\r\n", ReplyKind::kInternalError},
      {"BAD_FORMAT\r\n", ReplyKind::kBadFormat},
      {"UNKNOWN_COMMAND\r\n", ReplyKind::kUnknownCommand},
  };
  for (const auto& [text, kind] : cases) {
    INFO(text);
    const auto r = parse(text);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(r.reply.kind == kind);
    CHECK(r.consumed == std::string_view(text).size());
  }
}

TEST_CASE("replies with a number carry it", "[beanstalk][protocol]") {
  auto r = parse("INSERTED 42\r\n");
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.reply.kind == ReplyKind::kInserted);
  CHECK(r.reply.number == 42);
  r = parse("BURIED 7\r\n");
  CHECK(r.reply.kind == ReplyKind::kBuriedId);
  CHECK(r.reply.number == 7);
  r = parse("WATCHING 2\r\n");
  CHECK(r.reply.kind == ReplyKind::kWatching);
  CHECK(r.reply.number == 2);
  r = parse("USING my-tube\r\n");
  CHECK(r.reply.kind == ReplyKind::kUsing);
  CHECK(r.reply.word == "my-tube");
  r = parse("INSERTED 18446744073709551615\r\n");
  CHECK(r.reply.number == 18446744073709551615ULL);
}

TEST_CASE("a data reply is parsed only once its body and CRLF have arrived",
          "[beanstalk][protocol]") {
  const std::string full = "RESERVED 12 5\r\nhe\r\no\r\nINSERTED 1\r\n";
  // Every prefix short of the whole first reply asks for more.
  for (std::size_t n = 0; n < 22; ++n) {
    INFO(n);
    CHECK(parse(std::string_view(full).substr(0, n)).status == ParseStatus::kNeedMore);
  }
  const auto r = parse(full);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.reply.kind == ReplyKind::kReserved);
  CHECK(r.reply.number == 12);
  CHECK(r.reply.data == "he\r\no");
  CHECK(r.consumed == 22);
  const auto next = parse(std::string_view(full).substr(r.consumed));
  CHECK(next.reply.kind == ReplyKind::kInserted);
}

TEST_CASE("OK and FOUND carry their data", "[beanstalk][protocol]") {
  auto r = parse("OK 9\r\n---\na: 1\n\r\n");
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.reply.kind == ReplyKind::kOk);
  CHECK(r.reply.data == "---\na: 1\n");
  r = parse("FOUND 3 0\r\n\r\n");
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.reply.kind == ReplyKind::kFound);
  CHECK(r.reply.number == 3);
  CHECK(r.reply.data.empty());
}

TEST_CASE("bytes that are not a beanstalkd reply are refused with the line quoted",
          "[beanstalk][protocol]") {
  const char* bad[] = {
      "HELLO\r\n",                          // unknown word
      "INSERTED\r\n",                       // missing id
      "INSERTED x\r\n",                     // not a number
      "INSERTED -1\r\n",                    // sign
      "INSERTED 1 2\r\n",                   // extra word
      "INSERTED  1\r\n",                    // double space
      "INSERTED 18446744073709551616\r\n",  // overflow
      "DELETED\n",                          // bare LF
      "\r\n",                               // empty line
      "RESERVED 1 3\r\nabcXY",              // data not followed by CRLF
      "RESERVED 1\r\n",                     // missing byte count
      "OK 99999999\r\n",                    // above max_data
      "USING \r\n",                         // empty tube
      "DELETED extra words here too\r\n",
  };
  for (const char* text : bad) {
    INFO(text);
    const auto r = parse(text);
    CHECK(r.status == ParseStatus::kInvalid);
    CHECK_FALSE(r.error.empty());
  }
  const auto r = parse("HELLO\r\n");
  CHECK(r.error == "unexpected reply: \"HELLO\"");
}

TEST_CASE("a line longer than any reply without CRLF is refused, a short one waits",
          "[beanstalk][protocol]") {
  CHECK(parse(std::string(255, 'A')).status == ParseStatus::kNeedMore);
  CHECK(parse(std::string(256, 'A')).status == ParseStatus::kInvalid);
}

TEST_CASE("each command accepts only its own replies and the server errors",
          "[beanstalk][protocol]") {
  using p::Command;
  CHECK(p::is_reply_to(Command::kPut, ReplyKind::kInserted));
  CHECK(p::is_reply_to(Command::kPut, ReplyKind::kBuriedId));
  CHECK(p::is_reply_to(Command::kPut, ReplyKind::kDraining));
  CHECK_FALSE(p::is_reply_to(Command::kPut, ReplyKind::kBuried));
  CHECK_FALSE(p::is_reply_to(Command::kPut, ReplyKind::kDeleted));
  CHECK(p::is_reply_to(Command::kRelease, ReplyKind::kBuried));
  CHECK(p::is_reply_to(Command::kReserve, ReplyKind::kDeadlineSoon));
  CHECK_FALSE(p::is_reply_to(Command::kReserve, ReplyKind::kOk));
  CHECK(p::is_reply_to(Command::kDelete, ReplyKind::kOutOfMemory));
  CHECK(p::is_reply_to(Command::kTouch, ReplyKind::kInternalError));
  CHECK_FALSE(p::is_reply_to(Command::kTouch, ReplyKind::kBadFormat));
  CHECK_FALSE(p::is_reply_to(Command::kStats, ReplyKind::kUnknownCommand));
  CHECK(p::is_reply_to(Command::kStatsTube, ReplyKind::kNotFound));
  CHECK_FALSE(p::is_reply_to(Command::kStats, ReplyKind::kNotFound));
}

TEST_CASE("stats replies are read as beanstalkd 1.12 writes them", "[beanstalk][protocol]") {
  // Captured from beanstalkd 1.12.
  const std::string job =
      "---\nid: 1\ntube: default\nstate: reserved\npri: 5\nage: 3\ndelay: 0\nttr: 2\n"
      "time-left: 1\nfile: 1\nreserves: 2\ntimeouts: 1\nreleases: 0\nburies: 0\nkicks: 0\n";
  const auto s = p::parse_job_stats(job);
  REQUIRE(s);
  CHECK(s->pri == 5);
  CHECK(s->ttr == 2);
  CHECK(s->time_left == 1);
  CHECK(s->reserves == 2);
  CHECK(s->releases == 0);
  const std::string tube =
      "---\nname: default\ncurrent-jobs-urgent: 1\ncurrent-jobs-ready: 1\n"
      "current-jobs-reserved: 3\ncurrent-jobs-delayed: 4\ncurrent-jobs-buried: 5\n";
  const auto t = p::parse_tube_stats(tube);
  REQUIRE(t);
  CHECK(t->ready == 1);
  CHECK(t->reserved == 3);
  CHECK(t->delayed == 4);
  CHECK(t->buried == 5);
  const std::string server =
      "---\ncurrent-jobs-urgent: 0\nmax-job-size: 65535\nversion: \"1.12\"\n"
      "id: 6b8b2e5e3ef9a5d2\nhostname: box\n";
  const auto v = p::parse_server_stats(server);
  REQUIRE(v);
  CHECK(v->id == "6b8b2e5e3ef9a5d2");
  CHECK(v->max_job_size == 65535);
  CHECK(v->version == "1.12");
  // A key is matched whole: "current-jobs-ready" is not "ready".
  CHECK_FALSE(p::stats_value(tube, "ready"));
  CHECK_FALSE(p::parse_job_stats("---\npri: x\nttr: 1\nreserves: 1\n"));
}

TEST_CASE("tube names follow beanstalkd's rules", "[beanstalk][protocol]") {
  CHECK(p::check_tube_name("default").empty());
  CHECK(p::check_tube_name("a-b+c/d;e.f$g_h(i)").empty());
  CHECK(p::check_tube_name(std::string(200, 'a')).empty());
  CHECK_FALSE(p::check_tube_name("").empty());
  CHECK_FALSE(p::check_tube_name("-x").empty());
  CHECK_FALSE(p::check_tube_name("has space").empty());
  CHECK_FALSE(p::check_tube_name(std::string(201, 'a')).empty());
  CHECK(p::check_tube_name("a b").find("' '") != std::string::npos);
}

TEST_CASE("printable escapes what a log line cannot show", "[beanstalk][protocol]") {
  CHECK(p::printable("A\r\n\x01\"") == "A\\r\\n\\x01\\x22");
  CHECK(p::printable(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
}

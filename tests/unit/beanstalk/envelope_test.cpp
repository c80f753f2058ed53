#include "beanstalk/envelope.hpp"

#include <catch2/catch.hpp>

using coyote::drivers::beanstalk::decode_envelope;
using coyote::drivers::beanstalk::encode_envelope;
using coyote::sdk::Message;

TEST_CASE("the envelope is one JSON line followed by the payload verbatim",
          "[beanstalk][envelope]") {
  Message m;
  m.id = "id-1";
  m.name = "App\\Job";
  m.payload = "raw";
  m.options.priority = 10;
  std::string body;
  encode_envelope(m, body);
  CHECK(body == "{\"coyote\":1,\"id\":\"id-1\",\"job\":\"App\\\\Job\",\"priority\":10}\nraw");
}

TEST_CASE("an envelope round-trips id, name, priority, headers, auto_ack and a binary payload",
          "[beanstalk][envelope]") {
  Message m;
  m.id = "\xc3\xa9t\xff\n";  // not UTF-8, with a newline: still one line, still read back
  m.name = "n\"q";
  m.payload = std::string("\0\n\r\n{\"coyote\":1}", 16);
  m.options.priority = -3;
  m.options.auto_ack = true;
  m.headers = {{"X-Coyote-Attempt", {"2"}}, {"multi", {"a", "b"}}, {"empty", {}}};
  std::string body;
  encode_envelope(m, body);
  Message back;
  REQUIRE(decode_envelope(body, back));
  CHECK(back.id == m.id);
  CHECK(back.name == m.name);
  CHECK(back.payload == m.payload);
  CHECK(back.options.priority == -3);
  CHECK(back.options.auto_ack);
  CHECK(back.headers == m.headers);
}

TEST_CASE("a body that is not a Coyote envelope is reported as foreign", "[beanstalk][envelope]") {
  Message out;
  const char* foreign[] = {
      "",
      "plain text",
      "{\"job\":\"x\",\"id\":\"1\"}\npayload",        // no version
      "{\"coyote\":1,\"id\":\"1\",\"job\":\"x\"}",    // no newline
      "{\"coyote\":2,\"id\":\"1\",\"job\":\"x\"}\n",  // another version
      "{\"coyote\":1,\"id\":1,\"job\":\"x\"}\n",      // id not a string
      "{\"coyote\":1,\"id\":\"1\"}\n",                // no job
      "{\"coyote\":1,\"id\":\"1\",\"job\":\"x\",\"headers\":{\"a\":\"b\"}}\n",
      "{\"coyote\":1,\"id\":\"1\",\"job\":\"x\",\"priority\":\"9\"}\n",
      "{\"coyote\":1,\"id\":\"1\",\"job\":\"x\"\n}",  // broken JSON
      "\x0e\xff\x81\x03\x01\x01\x04Item",             // what Go's gob starts with
  };
  for (const char* body : foreign) {
    INFO(body);
    CHECK_FALSE(decode_envelope(body, out));
  }
}

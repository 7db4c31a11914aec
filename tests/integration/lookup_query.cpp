// lookup_query: sends lookup one LookupRequest, given in protobuf text format, and prints
// the reply in text format (integration tests, debugging).
//   lookup_query SOCKET 'mx { domain: "example.com" }'
// Exit status: 0 with a reply, 1 when the request does not parse, 2 when the call fails.
#include <google/protobuf/text_format.h>

#include <cstdio>
#include <string>

#include "common/ipc/blocking_client.h"
#include "lookup.pb.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lookup_query SOCKET REQUEST-TEXT\n");
    return 1;
  }
  tern::proto::LookupRequest request;
  if (!google::protobuf::TextFormat::ParseFromString(argv[2], &request)) {
    std::fprintf(stderr, "lookup_query: request does not parse\n");
    return 1;
  }
  if (request.id() == 0) request.set_id(7);
  auto reply = tern::ipc::blocking_call_as<tern::proto::LookupReply>(argv[1], request, 30000);
  if (!reply) {
    std::fprintf(stderr, "lookup_query: %s\n", reply.error().message.c_str());
    return 2;
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(*reply, &text);
  std::fputs(text.c_str(), stdout);
  return 0;
}

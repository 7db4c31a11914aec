// Typed owners for ldns objects (STYLE.md §12): each frees its object with the matching
// ldns function. Used on work-pool threads only; nothing ldns leaves the dns_query module.
#pragma once

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

namespace tern::lookup {

template <class T, void (*Free)(T*)>
struct LdnsDeleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};

inline void free_chars(char* p) { std::free(p); }

using ResolverPtr = std::unique_ptr<ldns_resolver, LdnsDeleter<ldns_resolver, ldns_resolver_deep_free>>;
using PktPtr = std::unique_ptr<ldns_pkt, LdnsDeleter<ldns_pkt, ldns_pkt_free>>;
using RdfPtr = std::unique_ptr<ldns_rdf, LdnsDeleter<ldns_rdf, ldns_rdf_deep_free>>;
using RrListPtr = std::unique_ptr<ldns_rr_list, LdnsDeleter<ldns_rr_list, ldns_rr_list_deep_free>>;
using CharsPtr = std::unique_ptr<char, LdnsDeleter<char, free_chars>>;

}  // namespace tern::lookup

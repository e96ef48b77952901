#pragma once
// requestHead: the request line and headers NativeHttpClient writes before the body.
//   POST /api/v2/series HTTP/1.1\r\n
//   Host: api.datadoghq.com\r\n              (the URL's host[:port], as spelled)
//   DD-API-KEY: ...\r\n                      (the request's headers, in order; Host and
//   Content-Type: application/json\r\n       Content-Length are always ours)
//   Authorization: Basic ...\r\n             (from the URL's user:password@, unless set)
//   Content-Length: 7\r\n                    (POST, or any request with a body)
//   \r\n
// Input: the request and its parsed URL. Output: the head, or "" with `error` set when a method
// or header cannot be sent as is (a CR/LF would inject headers); the error names the header,
// never its value (it may be an API key).
#include <string>

#include "forward/http_client.h"
#include "forward/http_url.h"

namespace dynostatsd::forward {

std::string requestHead(const HttpRequest& request, const HttpUrl& url, std::string& error);

}  // namespace dynostatsd::forward

// WebhookPoster over libcurl: the only file of src/actions that includes
// <curl/curl.h>. To be replaced by the shared http::Client once it lands.
#pragma once

#include <memory>

#include "actions/webhook_action.h"

namespace eb {

// One POST per call, no redirects followed, http and https only, no signals
// (safe in a process that handles SIGINT/SIGTERM itself). Thread-safe.
std::unique_ptr<WebhookPoster> NewCurlWebhookPoster();

}  // namespace eb

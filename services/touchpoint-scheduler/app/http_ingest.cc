#include "touchpoint-scheduler/app/http_ingest.h"

#include <httplib.h>

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mot/common/gate.h"
#include "mot/common/https_server.h"
#include "mot/common/lifecycle_codec.h"
#include "mot/common/log.h"
#include "nlohmann/json.hpp"

namespace mot::scheduler {
namespace {

constexpr char kPath[] = "/v1/events";
constexpr char kStructured[] = "application/cloudevents+json";
constexpr char kBatch[] = "application/cloudevents-batch+json";
// The gate admits an HTTP publisher as it admits a gRPC IngestEvent call: same scope,
// same rate per caller.
constexpr char kIngestMethod[] = "/mot.scheduler.v1.SchedulerService/IngestEvent";
// The binary mode's attributes, as the HTTP binding names them (the Kafka binding's
// names, which the decoder reads, have '_' for '-').
constexpr const char* kBinaryAttributes[] = {"ce-specversion", "ce-id",      "ce-type",
                                             "ce-source",      "ce-subject", "ce-time"};

nlohmann::json Error(const std::string& message) { return {{"error", message}}; }

IngestAnswer Json(int status, const nlohmann::json& body) { return {status, body.dump()}; }

// One event of a request: decoded and checked, or the status and reason it is refused.
struct Item {
  std::optional<lifecycle::v1::LifecycleEvent> event;
  int status = 202;
  std::string error;
};

Item Checked(absl::Status decoded, lifecycle::v1::LifecycleEvent event, EventIntake& intake,
             bool binary) {
  if (decoded.ok()) decoded = intake.Check(event);
  if (decoded.ok()) return {std::move(event), 202, ""};
  std::string reason(decoded.message());
  if (binary && absl::StartsWith(reason, "ce_")) reason[2] = '-';  // as HTTP names it
  return {std::nullopt, 400, reason};
}

Item Structured(const std::string& json, EventIntake& intake) {
  Incoming in;
  in.payload = json;
  in.headers["content-type"] = kStructured;
  lifecycle::v1::LifecycleEvent event;
  auto s = DecodeLifecycleEvent(in, &event);
  return Checked(s, std::move(event), intake, false);
}

Item Binary(const IngestRequest& request, EventIntake& intake) {
  Incoming in;
  in.payload = request.body;
  in.headers["content-type"] = request.content_type;
  for (const char* name : kBinaryAttributes) {
    if (auto it = request.headers.find(name); it != request.headers.end()) {
      std::string kafka_name(name);
      kafka_name[2] = '_';
      in.headers[kafka_name] = it->second;
    }
  }
  lifecycle::v1::LifecycleEvent event;
  auto s = DecodeLifecycleEvent(in, &event);
  return Checked(s, std::move(event), intake, true);
}

// The items' events published together; each item's status from its publish.
void PublishAll(std::vector<Item>& items, EventIntake& intake, const std::string& caller) {
  std::vector<lifecycle::v1::LifecycleEvent> events;
  std::vector<Item*> sent;
  for (auto& item : items) {
    if (item.event) {
      events.push_back(*item.event);
      sent.push_back(&item);
    }
  }
  if (events.empty()) return;
  const auto statuses = intake.Publish(events, caller);
  for (size_t i = 0; i < sent.size(); ++i) {
    if (statuses[i].ok()) continue;
    sent[i]->status = absl::IsInvalidArgument(statuses[i]) ? 400 : 503;
    sent[i]->error = absl::StrCat("not taken by the broker: ", statuses[i].message());
  }
}

nlohmann::json Result(const Item& item) {
  nlohmann::json out = {{"status", item.status}};
  if (item.event) out["id"] = item.event->event_id();
  if (!item.error.empty()) out["error"] = item.error;
  return out;
}

void NotAllowed(httplib::Response& res) {
  res.status = 405;
  res.set_header("Allow", "POST, OPTIONS");
  res.set_content(Error(absl::StrCat(kPath, " takes POST")).dump(), "application/json");
}

// An HTTP method's name ("QUERY"), not a garbled request line.
bool IsMethodName(const std::string& method) {
  return !method.empty() && method.size() <= 16 &&
         std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// 401/403/429 as the gate refuses, with what the caller needs to do next.
void Refuse(const grpc::Status& refused, httplib::Response& res) {
  switch (refused.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer realm=\"mot-mesh\"");
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      res.status = 403;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      res.status = 429;
      res.set_header("Retry-After", "1");
      break;
    default:
      res.status = 503;
      res.set_header("Retry-After", "1");
  }
  res.set_content(Error(refused.error_message()).dump(), "application/json");
}

}  // namespace

HttpIngest::HttpIngest(HttpIngestOptions options, EventIntake& intake)
    : options_(std::move(options)), intake_(intake) {}

HttpIngest::~HttpIngest() = default;

IngestAnswer HttpIngest::Answer(const IngestRequest& request, const std::string& caller) {
  const std::string type = absl::AsciiStrToLower(request.content_type);
  if (absl::StartsWith(type, kBatch)) {
    auto array = nlohmann::json::parse(request.body, nullptr, false);
    if (!array.is_array()) {
      return Json(400, Error("a batch must be a JSON array of structured CloudEvents"));
    }
    if (array.empty()) return Json(400, Error("a batch must hold at least one event"));
    if (array.size() > static_cast<size_t>(options_.max_batch_events)) {
      return Json(400, Error(absl::StrCat("a batch holds at most ", options_.max_batch_events,
                                          " events (MOT_INGEST_MAX_BATCH_EVENTS)")));
    }
    std::vector<Item> items;
    for (const auto& element : array) {
      items.push_back(element.is_object()
                          ? Structured(element.dump(), intake_)
                          : Item{std::nullopt, 400, "a batch element must be a JSON object"});
    }
    PublishAll(items, intake_, caller);
    nlohmann::json results = nlohmann::json::array();
    std::set<int> statuses;
    for (size_t i = 0; i < items.size(); ++i) {
      auto r = Result(items[i]);
      r["index"] = i;
      results.push_back(std::move(r));
      statuses.insert(items[i].status);
    }
    // One answer for all when they all had it (202, 400, or 503 to retry); else each's.
    const int status = statuses.size() == 1 ? *statuses.begin() : 207;
    return Json(status, {{"results", results}});
  }
  std::vector<Item> one;
  if (absl::StartsWith(type, kStructured)) {
    one.push_back(Structured(request.body, intake_));
  } else if (request.headers.count("ce-specversion") || request.headers.count("ce-id")) {
    one.push_back(Binary(request, intake_));
  } else {
    return Json(415, Error(absl::StrCat("expected a CloudEvent: Content-Type ", kStructured, " or ",
                                        kBatch, ", or the binary mode's ce-* headers")));
  }
  PublishAll(one, intake_, caller);
  return Json(one[0].status, Result(one[0]));
}

bool HttpIngest::Bind(const GateConfig& tls) {
  server_ = HttpsServer(tls);
  server_->set_payload_max_length(static_cast<size_t>(options_.max_body_bytes));
  // One request per connection: the HTTP library answers a request line it cannot
  // parse (a method it does not know, QUERY ...) with 400 but keeps the connection and
  // reads that request's body as the next request (seen with schemathesis), which a
  // sender could use to smuggle a request. A webhook's sender reconnects cheaply.
  server_->set_keep_alive_max_count(1);
  server_->Post(kPath, [this](const httplib::Request& req, httplib::Response& res) {
    Gate* gate = ProcessGate();
    if (gate == nullptr) {
      Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE, "not serving yet; retry"), res);
      return;
    }
    Claims caller;
    if (auto s = gate->Admit(kIngestMethod, req.get_header_value("Authorization"), &caller);
        !s.ok()) {
      Refuse(s, res);
      return;
    }
    IngestRequest request{req.get_header_value("Content-Type"), {}, req.body};
    for (const auto& [name, value] : req.headers) {
      const std::string lower = absl::AsciiStrToLower(name);
      if (absl::StartsWith(lower, "ce-")) request.headers[lower] = value;
    }
    const IngestAnswer answer = Answer(request, caller.subject);
    res.status = answer.status;
    if (answer.status == 503) res.set_header("Retry-After", "1");
    res.set_content(answer.body, "application/json");
  });
  // The CloudEvents webhook spec's abuse protection: a sender asks whether it may post.
  server_->Options(kPath, [](const httplib::Request& req, httplib::Response& res) {
    const std::string origin = req.get_header_value("WebHook-Request-Origin");
    res.status = 200;
    res.set_header("Allow", "POST, OPTIONS");
    if (!origin.empty()) res.set_header("WebHook-Allowed-Origin", origin);
  });
  // Any method but POST and OPTIONS (TRACE, HEAD, GET ...) is 405, before routing.
  server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" || req.method == "OPTIONS") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    NotAllowed(res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // an answer of ours
    // A method the HTTP library does not know (QUERY ...) it refuses before routing.
    if (res.status == 400 && IsMethodName(req.method) && req.method != "POST" &&
        req.method != "OPTIONS") {
      NotAllowed(res);
      return;
    }
    std::string message =
        res.status == 413   ? absl::StrCat("the body is over ", options_.max_body_bytes,
                                           " bytes (MOT_INGEST_MAX_BODY_BYTES)")
        : res.status == 404 ? absl::StrCat("no such resource: POST ", kPath)
                            : absl::StrCat("the request could not be read (HTTP ", res.status, ")");
    res.set_content(Error(message).dump(), "application/json");
  });
  return BindHttp(*server_, options_.addr);
}

void HttpIngest::Run(const std::atomic<bool>& stop) { ServeHttp(*server_, stop); }

}  // namespace mot::scheduler

#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "mot/common/config.h"
#include "touchpoint-scheduler/app/event_intake.h"

namespace httplib {
class Server;
}

namespace mot::scheduler {

// MOT_INGEST_*: lifecycle events over HTTPS, the CloudEvents HTTP binding.
struct HttpIngestOptions {
  std::string addr;              // MOT_INGEST_HTTP_ADDR (host:port); empty: not served
  int max_body_bytes = 1 << 20;  // MOT_INGEST_MAX_BODY_BYTES: more is 413
  int max_batch_events = 500;    // MOT_INGEST_MAX_BATCH_EVENTS: a longer batch is 413
};

// One request to POST /v1/events as the listener hands it on.
struct IngestRequest {
  std::string content_type;
  std::map<std::string, std::string> headers;  // names lower-cased (ce-id, ce-type ...)
  std::string body;
};

// What the webhook answers: status and a JSON body.
struct IngestAnswer {
  int status = 0;
  std::string body;
};

// POST /v1/events: CloudEvents 1.0 over HTTPS, as the systems that can only call a
// webhook (CRM, contract, property management SaaS) send them.
//   structured  Content-Type: application/cloudevents+json, the event as JSON;
//   binary      ce-specversion, ce-id, ce-type, ce-source, ce-subject, ce-time headers,
//               the data (JSON or application/protobuf) as the body;
//   batch       Content-Type: application/cloudevents-batch+json, an array of
//               structured events.
// The caller shows a bearer token with the `publisher` scope, checked by the process's
// gate as IngestEvent is (same rate per caller). Each event is checked as IngestEvent
// checks it and published on mot.lifecycle.v1; 202 once Kafka has acknowledged it,
// 400 naming the attribute and the rule (never the value), 413 over the size limit,
// 415 for a body that is no CloudEvent, 401/403/429 from the gate, 503 when the broker
// did not take it (retry). A batch answers per event, with 202, 400 or 503 overall
// when every event had that answer and 207 when they differ.
// Served by the touchpoint scheduler: it owns the lifecycle topic's checks (the
// playbook in force) and the gate publishers already call; a separate process would
// repeat both.
class HttpIngest {
 public:
  HttpIngest(HttpIngestOptions options, EventIntake& intake);
  ~HttpIngest();

  // The answer to an admitted caller's request (`caller`: the token's subject).
  IngestAnswer Answer(const IngestRequest& request, const std::string& caller);

  // Listens with the gate's TLS; false when options.addr cannot be listened on.
  bool Bind(const GateConfig& tls);
  void Run(const std::atomic<bool>& stop);

 private:
  const HttpIngestOptions options_;
  EventIntake& intake_;
  std::unique_ptr<httplib::Server> server_;
};

}  // namespace mot::scheduler

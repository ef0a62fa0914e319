// Input that can never be taken: refused at the gRPC door with INVALID_ARGUMENT, or
// dead-lettered with a reason while the partition moves on past it.
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mesh/fixture.h"
#include "mot/common/codec.h"
#include "mot/common/topics.h"

namespace mot {
namespace {

TEST_F(MeshTest, GarbageGoesToDeadLettersAndTheNextEventIsProcessed) {
  const std::string customer = Unique("C-");
  const std::string garbage = "\x08\xff\xff not an event " + Unique("g-");
  // Same key as the valid event: same partition, so the valid one queues behind it.
  ASSERT_TRUE(producer_->Publish(kLifecycleTopic, customer, garbage).ok());
  Publish(Event("repair_requested", customer, Now()));
  WaitForDone(customer, 1);

  const std::string reason = DeadLetterReason(kLifecycleTopic, garbage);
  EXPECT_FALSE(reason.empty()) << "the garbage message was not dead-lettered with a reason";
  EXPECT_NE(reason.find("mot.lifecycle.v1.LifecycleEvent"), std::string::npos) << reason;
}

// A valid event whose command the broker could never take once stopped every timer
// of every owner; now it is refused when planned, and everything after it goes on.
TEST_F(MeshTest, AnEventWithAnOversizedCommandIsDeadLetteredAndTheRestGoesOn) {
  const std::string big = Unique("C-");
  auto e = Event("contract_signed", big, Now());
  (*e.mutable_attributes())["note"] = std::string(950'000, 'x');
  Publish(e);
  const std::string next = Unique("C-");
  Publish(Event("repair_requested", next, Now()));
  WaitForDone(next, 1);
  const std::string reason = DeadLetterReason(kLifecycleTopic, e.SerializeAsString());
  EXPECT_NE(reason.find("step 'welcome_after_signing': its command would be"), std::string::npos)
      << reason;
  EXPECT_EQ(Journey(big).touchpoints_size(), 0);
}

// occurred_at 9999-12-31 once overflowed into 1816 and fired at once.
TEST_F(MeshTest, AnEventFromFarInTheFutureIsDeadLettered) {
  const std::string customer = Unique("C-");
  auto e = Event("handover", customer, Now());
  e.mutable_occurred_at()->set_seconds(253402214400);  // 9999-12-31T00:00:00Z
  Publish(e);
  EXPECT_EQ(DeadLetterReason(kLifecycleTopic, e.SerializeAsString()),
            "occurred_at 9999-12-31T00:00:00Z is too far in the future");
  EXPECT_EQ(Journey(customer).touchpoints_size(), 0);
}

// Hostile and broken input on every consumed topic: each goes to the topic's DLQ with a
// reason, the partition moves on past it (all of a topic's inputs share one key, so
// one partition: the later ones are dead-lettered only if the earlier ones were
// passed), and mot_kafka_dead_letters_total counts each by the kind of its reason.
TEST_F(MeshTest, HostileInputOnEveryConsumedTopicIsDeadLetteredWithItsReason) {
  struct Topic {
    std::string name;
    std::string no_customer;  // a message of the topic's type without a customer (or an id)
  };
  lifecycle::v1::LifecycleEvent no_customer_event = Event("contract_signed", "", Now());
  customer::v1::CustomerProfile no_customer_profile;
  no_customer_profile.set_tier("A");
  ticketing::v1::OpenTicketCommand open;
  open.set_command_id(Unique("cmd-"));
  open.set_kind("repair");
  notification::v1::SendNotificationCommand send;
  send.set_command_id(Unique("cmd-"));
  send.set_template_id("tier_a_second_touch");
  survey::v1::CreateSurveyCommand create;
  create.set_command_id(Unique("cmd-"));
  create.set_survey_id("repair_satisfaction");
  ticketing::v1::TicketEvent ticket_event;
  ticket_event.set_type(ticketing::v1::TICKET_EVENT_TYPE_OPENED);
  notification::v1::NotificationEvent delivery_event;
  delivery_event.mutable_delivery()->set_id("dl-hostile");
  survey::v1::SurveyEvent survey_event;
  survey_event.set_type(survey::v1::SURVEY_EVENT_TYPE_COMPLETED);
  const std::vector<Topic> topics = {
      {kLifecycleTopic, no_customer_event.SerializeAsString()},
      {kCustomerTopic, no_customer_profile.SerializeAsString()},
      {kTicketingCommandsTopic, open.SerializeAsString()},
      {kNotificationCommandsTopic, send.SerializeAsString()},
      {kSurveyCommandsTopic, create.SerializeAsString()},
      {kTicketEventsTopic, ticket_event.SerializeAsString()},
      {kNotificationEventsTopic, delivery_event.SerializeAsString()},
      {kSurveyEventsTopic, survey_event.SerializeAsString()},
  };
  // A producer that may send more than the services take (1,000,000 bytes).
  KafkaProducer big(env_["MOT_KAFKA_BROKERS"], "mesh-test-big", seconds(15),
                    {{"message.max.bytes", "2000000"}});
  std::mt19937 random(7);
  std::string noise(256, '\0');
  for (auto& c : noise) c = static_cast<char>(random() | 0x80);  // never '{': not JSON

  struct Input {
    std::string kind;
    std::string payload;
    Headers headers;
  };
  std::map<std::string, std::vector<Input>> sent;  // topic -> inputs
  const auto dead_letters = [this] {
    double total = 0;
    for (const char* m : {"MOT_SCHEDULER_METRICS", "MOT_TICKETING_METRICS",
                          "MOT_NOTIFICATION_METRICS", "MOT_SURVEY_METRICS"}) {
      std::istringstream lines(testkit::Page(env_[m]));
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("mot_kafka_dead_letters_total{", 0) == 0)
          total += std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return total;
  };
  const double before = dead_letters();
  for (const auto& t : topics) {
    const std::string key = Unique("C-HOSTILE-");
    const std::string mark = Unique("m");
    customer::v1::CustomerProfile other;  // a valid protobuf of another type
    other.set_customer_id(key);
    other.set_segment(mark);
    lifecycle::v1::LifecycleEvent other_event = Event("handover", key, Now());
    other_event.set_source(mark);
    std::vector<Input> inputs = {
        {"random bytes", mark + noise, {}},
        {"another message type",
         t.name == kCustomerTopic ? other_event.SerializeAsString() : other.SerializeAsString(),
         {}},
        {"no customer", t.no_customer + std::string("\x9a\x06\x01") + mark.substr(0, 1), {}},
        {"malformed JSON",
         "{\"customer_id\": \"" + key + "\", \"" + mark,
         {{"content-type", "application/json"}}},
        {"oversized", std::string(1'020'000, 'x') + mark, {}},
    };
    if (t.name == kLifecycleTopic) {
      auto future = Event("handover", key, Now());
      future.mutable_occurred_at()->set_seconds(253402214400);  // 9999-12-31
      future.set_source(mark);
      auto past = Event("handover", key, Now());
      past.mutable_occurred_at()->set_seconds(-2208988800);  // 1900-01-01
      past.set_source(mark);
      inputs.push_back({"far future", future.SerializeAsString(), {}});
      inputs.push_back({"far past", past.SerializeAsString(), {}});
      inputs.push_back({"malformed CloudEvents headers",
                        "{\"project_id\": \"" + mark + "\"}",
                        {{"ce_specversion", "0.3"},
                         {"ce_id", mark},
                         {"ce_type", "mot.lifecycle.v1.handover"},
                         {"ce_source", "hostile"},
                         {"ce_subject", key},
                         {"ce_time", "yesterday"}}});
      auto unknown = Event("moon_landing", key, Now());
      unknown.set_source(mark);
      inputs.push_back({"unknown event type", unknown.SerializeAsString(), {}});
    }
    // Commands complete but for a requested_at in 9999 or 1900.
    const auto far = [&](auto cmd) {
      cmd.set_command_id(Unique("cmd-"));
      cmd.set_customer_id(key);
      cmd.mutable_requested_at()->set_seconds(253402214400);  // 9999-12-31
      inputs.push_back({"requested far ahead", cmd.SerializeAsString(), {}});
      cmd.set_command_id(Unique("cmd-"));
      cmd.mutable_requested_at()->set_seconds(-2208988800);  // 1900-01-01
      inputs.push_back({"requested far back", cmd.SerializeAsString(), {}});
    };
    if (t.name == kTicketingCommandsTopic) far(open);
    if (t.name == kNotificationCommandsTopic) far(send);
    if (t.name == kSurveyCommandsTopic) far(create);
    // Domain events of a type (or status) no version of the mesh knows.
    if (t.name == kTicketEventsTopic) {
      ticketing::v1::TicketEvent e;
      e.set_type(static_cast<ticketing::v1::TicketEventType>(99));
      e.mutable_ticket()->set_id(mark);
      e.mutable_ticket()->set_customer_id(key);
      inputs.push_back({"unknown event type", e.SerializeAsString(), {}});
    }
    if (t.name == kSurveyEventsTopic) {
      survey::v1::SurveyEvent e;
      e.set_type(static_cast<survey::v1::SurveyEventType>(99));
      e.mutable_instance()->set_id(mark);
      e.mutable_instance()->set_customer_id(key);
      inputs.push_back({"unknown event type", e.SerializeAsString(), {}});
    }
    if (t.name == kNotificationEventsTopic) {
      notification::v1::NotificationEvent e;
      e.mutable_delivery()->set_id(mark);
      e.mutable_delivery()->set_customer_id(key);
      e.mutable_delivery()->set_status(static_cast<notification::v1::DeliveryStatus>(99));
      inputs.push_back({"unknown delivery status", e.SerializeAsString(), {}});
    }
    for (const auto& in : inputs) {
      ASSERT_TRUE(big.Publish(t.name, key, in.payload, in.headers).ok())
          << t.name << " " << in.kind;
    }
    sent[t.name] = inputs;
  }
  // Every input of every topic on the topic's DLQ with a reason (a topic read by two
  // services may dead-letter one twice: both reasons count).
  int tried = 0, dead_lettered = 0;
  std::map<std::string, int> by_kind;
  for (const auto& [topic, inputs] : sent) {
    std::map<std::string, std::string> reasons;  // payload -> reason
    auto consumer = ReadFromStart(topic + ".dlq");
    ReadUntil(
        *consumer, seconds(60),
        [&](RdKafka::Message& m) {
          const std::string payload = Payload(m);
          const std::string reason = Header(m, "mot-dlq-reason");
          const std::string dropped = Header(m, "mot-dlq-payload-dropped");
          for (const auto& in : inputs) {
            const bool same =
                payload == in.payload ||
                (payload.empty() && dropped == std::to_string(in.payload.size()) + " bytes");
            if (same && !reason.empty()) reasons[in.payload] = reason;
          }
          return reasons.size() == inputs.size();
        },
        topic + ": every input dead-lettered");  // each missing one is named below
    consumer->close();
    for (const auto& in : inputs) {
      ++tried;
      auto it = reasons.find(in.payload);
      if (it == reasons.end()) {
        ADD_FAILURE() << topic << ": " << in.kind << " was not dead-lettered";
        continue;
      }
      ++dead_lettered;
      ++by_kind[DeadLetterKind(it->second)];
      std::printf("  %-30s %-30s -> %s\n", topic.c_str(), in.kind.c_str(),
                  it->second.substr(0, 100).c_str());
      // The reason names what is wrong, never the payload's content.
      EXPECT_EQ(it->second.find("C-HOSTILE-"), std::string::npos) << it->second;
    }
  }
  std::printf("hostile inputs tried %d, dead-lettered %d; by kind:", tried, dead_lettered);
  for (const auto& [k, n] : by_kind) std::printf(" %s %d", k.c_str(), n);
  std::printf("\n");
  EXPECT_EQ(dead_lettered, tried);
  EXPECT_GE(dead_letters() - before, tried) << "mot_kafka_dead_letters_total counts each";
  // And the lifecycle partition goes on: the next owner's event is planned.
  const std::string next = Unique("C-");
  Publish(Event("repair_requested", next, Now()));
  WaitForDone(next, 1);
}

TEST_F(MeshTest, IngestRejectsAnEventWithoutCustomer) {
  grpc::ClientContext ctx;
  sv1::IngestEventRequest req;
  req.mutable_event()->set_event_id("ev-x");
  req.mutable_event()->set_type("handover");
  sv1::IngestEventResponse resp;
  auto s = scheduler_->IngestEvent(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "event.customer_id is required");
}

// A permanent failure is INVALID_ARGUMENT (clients retried UNAVAILABLE forever).
TEST_F(MeshTest, IngestAnswersWhatCanNeverBeAcceptedWithInvalidArgument) {
  sv1::IngestEventResponse resp;
  sv1::IngestEventRequest req;
  *req.mutable_event() = Event("contract_signed", Unique("C-"), Now());
  // Over the gRPC port's maximum message (MOT_GRPC_MAX_MESSAGE_BYTES, 1 MiB): refused
  // before any of ours runs.
  (*req.mutable_event()->mutable_attributes())["note"] = std::string(1'500'000, 'x');
  grpc::ClientContext ctx0;
  auto s = scheduler_->IngestEvent(&ctx0, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("larger than max"), std::string::npos) << s.error_message();
  // Under it, but more than the broker takes (librdkafka's 1,000,000 bytes).
  (*req.mutable_event()->mutable_attributes())["note"] = std::string(1'030'000, 'x');
  grpc::ClientContext ctx;
  s = scheduler_->IngestEvent(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("event.step 'welcome_after_signing': its command would be"),
            std::string::npos)
      << s.error_message();

  req.mutable_event()->set_type("community_activity");  // plans nothing; still too large to publish
  grpc::ClientContext ctx2;
  s = scheduler_->IngestEvent(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("Message size too large"), std::string::npos)
      << s.error_message();

  *req.mutable_event() = Event("handover", Unique("C-"), Now());
  req.mutable_event()->mutable_occurred_at()->set_seconds(253402214400);
  grpc::ClientContext ctx3;
  s = scheduler_->IngestEvent(&ctx3, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "event.occurred_at 9999-12-31T00:00:00Z is too far in the future");

  *req.mutable_event() = Event("moon_landing", Unique("C-"), Now());
  grpc::ClientContext ctx4;
  s = scheduler_->IngestEvent(&ctx4, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "event.type is not a known event type (docs/events.md, the playbook's triggers)");
}

}  // namespace
}  // namespace mot

#pragma once

#include "mot/common/kafka.h"
#include "mot/common/record_store.h"
#include "mot/common/served.h"
#include "mot/notification/v1/notification.grpc.pb.h"
#include "notification/app/owner_book.h"
#include "notification/app/owner_export.h"
#include "notification/domain/routing.h"
#include "notification/domain/templates.h"

namespace mot::notification {

// The gRPC API: Send (checked, then queued as a command), ListDeliveries (newest first,
// paged), Get/SetPreferences, ExportCustomer (a subject-access request, OwnerExport).
class NotificationGrpc final : public Served<v1::NotificationService> {
 public:
  struct Parts {
    RecordStore& store;
    int max_page_size;
    const TemplateSet& templates;
    const Routing& routing;
    OwnerBook& owners;
    Publisher& out;
    OwnerExport& exporter;
  };
  explicit NotificationGrpc(Parts parts) : parts_(parts), deliveries_(parts.store) {}
  grpc::Status Send(grpc::ServerContext*, const v1::SendRequest* req,
                    v1::SendResponse* resp) override;
  grpc::Status ListDeliveries(grpc::ServerContext*, const v1::ListDeliveriesRequest* req,
                              v1::ListDeliveriesResponse* resp) override;
  grpc::Status GetPreferences(grpc::ServerContext*, const v1::GetPreferencesRequest* req,
                              v1::GetPreferencesResponse* resp) override;
  grpc::Status SetPreferences(grpc::ServerContext*, const v1::SetPreferencesRequest* req,
                              v1::SetPreferencesResponse* resp) override;
  grpc::Status ExportCustomer(grpc::ServerContext*, const v1::ExportCustomerRequest* req,
                              v1::ExportCustomerResponse* resp) override;

 private:
  Parts parts_;
  ProtoStore<v1::Delivery> deliveries_;
};

}  // namespace mot::notification

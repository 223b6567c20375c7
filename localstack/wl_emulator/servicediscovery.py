"""Cloud Map: the rules AWS enforces on namespaces that moto 5.2 does not."""
from .strict import Refusal, rule


@rule("servicediscovery", "CreateHttpNamespace", kind="state")
def http_namespace_names_are_unique(call):
    """An HTTP namespace's name is unique in the account and region: a second CreateHttpNamespace of
    it answers NamespaceAlreadyExists (API_CreateHttpNamespace; it carries the existing NamespaceId).
    AWS answers a repeat with the same CreatorRequestId with the first operation instead; here that
    repeat is refused too, which a caller that adopts on NamespaceAlreadyExists handles the same."""
    name = call.get("Name", default="")
    backend = call.backend("servicediscovery")
    for namespace in backend.namespaces.values():
        if namespace.name == name and namespace.type == "HTTP":
            raise Refusal("NamespaceAlreadyExists", f"Namespace with name {name} already exists.", status=400)


@rule("servicediscovery", "DeleteNamespace", kind="state")
def namespace_with_services(call):
    """DeleteNamespace while services are in the namespace: ResourceInUse "Namespace has associated
    services; delete the services before deleting the namespace" (API_DeleteNamespace; the message as
    sst#5678 quotes it). ECS removes the services Service Connect made minutes after the ECS
    services go."""
    namespace_id = call.get("Id", default="")
    backend = call.backend("servicediscovery")
    if any(service.namespace_id == namespace_id for service in backend.services.values()):
        raise Refusal("ResourceInUse", "Namespace has associated services; delete the services before deleting the namespace", status=400)

/*
 * The session API as the published SDK declares it, and out-pointers cleared first:
 *   sdk_session URL USER PASSWORD xml|json
 * Runs over the built-in transport, speaking XML-RPC or JSON-RPC.
 */
#include "support.h"

#include <xen/api/xenapi_ext_transport.h>

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    char *err = NULL;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, &err);
    CHECK(NULL, t != NULL);
    int json = strcmp(argv[4], "json") == 0;
    CHECK(NULL, xenapi_ext_transport_use_json_rpc(t, json));
    CHECK(NULL, !xenapi_ext_transport_use_json_rpc(NULL, json));

    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, argv[2], argv[3],
                                                     xen_api_latest_version);
    CHECK(s, s->ok);

    /* session.get_this_user's result is a plain string. */
    char *user = NULL;
    CHECK(s, xen_session_get_this_user(s, &user, s));
    CHECK(s, user != NULL);
    printf("this_user %s\n", user);
    free(user);

    /* The SDK's session record: uuid first, no handle. */
    char *uuid = NULL;
    CHECK(s, xen_session_get_uuid(s, &uuid, s));
    xen_session_record *rec = NULL;
    CHECK(s, xen_session_get_record(s, &rec, s));
    CHECK_STR(s, rec->uuid, uuid);
    CHECK(s, rec->this_host != NULL && !rec->this_host->is_record && rec->this_host->u.handle);
    CHECK(s, rec->this_user != NULL);
    CHECK(s, rec->last_active > 0);
    printf("session %s on %s as %s\n", rec->uuid, (char *)rec->this_host->u.handle,
           rec->this_user);
    xen_session_record_free(rec);
    free(uuid);
    xen_session_record *own = xen_session_record_alloc();
    own->uuid = strdup("caller's own");
    own->this_user = strdup("someone");
    xen_session_record_free(own);

    /* logout_subject_identifier takes a const char *. */
    const char *sid = "S-1-5-21-0";
    if (!xen_session_logout_subject_identifier(s, sid)) {
        printf("logout_subject_identifier: %s\n", s->error_description[0]);
        xen_session_clear_error(s);
    }

    /* Records decode over this wire format too. */
    struct xen_vm_set *vms = NULL;
    CHECK(s, xen_vm_get_all(s, &vms));
    CHECK(s, vms->size > 0);
    xen_vm_record *vm = NULL;
    CHECK(s, xen_vm_get_record(s, &vm, vms->contents[0]));
    CHECK(s, vm->uuid != NULL && vm->name_label != NULL && vm->memory_static_max > 0);
    printf("%s: %s %s\n", argv[4], vm->name_label, xen_vm_power_state_to_string(vm->power_state));
    xen_vm_record_free(vm);
    xen_vm_set_free(vms);

    /* Out-pointers are cleared first, even on a session already in error. */
    xen_vm missing = NULL;
    CHECK(s, !xen_vm_get_by_uuid(s, &missing, "no-such-uuid"));
    CHECK(s, missing == NULL && !s->ok);
    char stale[1];
    struct xen_vm_set *all = (struct xen_vm_set *)stale;
    CHECK(s, !xen_vm_get_all(s, &all));
    CHECK(s, all == NULL);
    xen_vm_set_free(all); /* what SDK code does after a failure */
    char *label = stale;
    CHECK(s, !xen_vm_get_name_label(s, &label, "OpaqueRef:whatever"));
    CHECK(s, label == NULL);
    free(label);
    xen_session *child = (xen_session *)stale;
    CHECK(s, !xen_session_create_from_db_file(s, &child, "/nonexistent"));
    CHECK(s, child == NULL);
    xen_session_clear_error(s);
    CHECK(s, s->ok);

    xen_session_logout(s);
    xenapi_ext_transport_free(t);
    printf("sdk_session: all checks passed\n");
    return 0;
}

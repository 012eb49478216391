/*
 * json_only URL: the server answers JSON-RPC only; the built-in transport switched to
 * JSON-RPC logs in and calls, XML-RPC (the default) is refused.
 */
#include "support.h"

#include <xen/api/xenapi_ext_transport.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, NULL);
    CHECK(NULL, t != NULL);

    xen_session *x = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "pw",
                                                     xen_api_latest_version);
    CHECK(x, !x->ok);
    CHECK_STR(x, x->error_description[0], "TRANSPORT_FAULT");
    CHECK_STR(x, x->error_description[1], "404");
    xen_session_logout(x);

    CHECK(NULL, xenapi_ext_transport_use_json_rpc(t, true));
    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "pw",
                                                     xen_api_latest_version);
    CHECK(s, s->ok);
    CHECK_STR(s, s->session_id, "OpaqueRef:json-session");
    CHECK(s, s->api_version == xen_api_version_2_23);
    char *label = NULL;
    CHECK(s, xen_vm_get_name_label(s, &label, "OpaqueRef:vm"));
    printf("%s\n", label);
    free(label);
    xen_session_logout(s);
    xenapi_ext_transport_free(t);
    return 0;
}

/*
 * The built-in transport extension: ext URL CLOSED_URL
 * URL serves canned XML-RPC answers; CLOSED_URL has nobody listening.
 */
#include "support.h"

#include <xen/api/xenapi_ext_transport.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    char *err = NULL;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, &err);
    CHECK(NULL, t != NULL && err == NULL);
    CHECK(NULL, xenapi_ext_transport_last_error(t) == NULL);

    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "pw",
                                                     xen_api_latest_version);
    CHECK(s, s->ok);
    CHECK_STR(s, s->session_id, "OpaqueRef:ext-session");
    CHECK(s, s->api_version == xen_api_version_2_23);
    /* several calls over the same (kept-alive) connection */
    for (int i = 0; i < 3; i++) {
        char *label = NULL;
        CHECK(s, xen_vm_get_name_label(s, &label, "OpaqueRef:vm"));
        CHECK_STR(s, label, "ext vm");
        free(label);
    }
    xen_session_logout(s);

    /* an unsupported URL is refused with a message */
    xenapi_ext_transport *bad = xenapi_ext_transport_new("ftp://example.com", NULL, &err);
    CHECK(NULL, bad == NULL && err != NULL);
    free(err);
    err = NULL;
    /* a password in the URL is refused, and the message does not show it */
    bad = xenapi_ext_transport_new("https://root:S3cret-PW@example.com", NULL, &err);
    CHECK(NULL, bad == NULL && err != NULL);
    CHECK(NULL, strstr(err, "S3cret-PW") == NULL && strstr(err, "***@example.com") != NULL);
    free(err);
    err = NULL;
    /* conflicting TLS options are refused */
    xenapi_ext_transport_options opts = { NULL, "00", true, 0, 0, 0 };
    CHECK(NULL, xenapi_ext_transport_new("https://example.com", &opts, &err) == NULL);
    CHECK(NULL, err != NULL);
    free(err);
    err = NULL;

    /* nobody listening: a transport fault, with the reason kept on the transport */
    xenapi_ext_transport *closed = xenapi_ext_transport_new(argv[2], NULL, &err);
    CHECK(NULL, closed != NULL);
    xen_session *c = xen_session_login_with_password(xenapi_ext_call_func, closed, "root",
                                                     "pw", xen_api_latest_version);
    CHECK(c, !c->ok);
    CHECK_STR(c, c->error_description[0], "TRANSPORT_FAULT");
    CHECK_STR(c, c->error_description[1], "-1");
    char *why = xenapi_ext_transport_last_error(closed);
    CHECK(c, why != NULL && strlen(why) > 0);
    free(why);
    xen_session_logout(c);
    xenapi_ext_transport_free(closed);

    xenapi_ext_transport_free(t);
    printf("ext: all checks passed\n");
    return 0;
}

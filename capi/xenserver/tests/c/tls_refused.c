/* tls_refused URL: the extension transport refuses a server whose certificate is not trusted. */
#include "support.h"

#include <xen/api/xenapi_ext_transport.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, NULL);
    CHECK(NULL, t != NULL);
    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, "root", "xenroot",
                                                     xen_api_latest_version);
    CHECK(s, !s->ok);
    CHECK_STR(s, s->error_description[0], "TRANSPORT_FAULT");
    char *why = xenapi_ext_transport_last_error(t);
    CHECK(s, why != NULL);
    printf("refused: %s\n", why);
    free(why);
    xen_session_logout(s);
    xenapi_ext_transport_free(t);
    return 0;
}

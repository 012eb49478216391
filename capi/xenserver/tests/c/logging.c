/* The library's log messages: through a callback set with xenapi_ext_set_log_func, and
 * (when XENAPI_LOG is set) to stderr. Usage: logging URL USER PASSWORD callback|env */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/api/xen_all.h>
#include <xen/api/xenapi_ext_transport.h>

struct seen {
    int count;
    int calls;
    int debug_level_ok;
    char leaked[64];
};

static const char *secret;

static void on_log(int level, const char *target, const char *message, void *user)
{
    struct seen *seen = user;
    seen->count++;
    if (strcmp(target, "xenapi::call") == 0 && strstr(message, "VM.get_all:") != NULL)
        seen->calls++;
    if (level == 4)
        seen->debug_level_ok = 1;
    if (strstr(message, secret) != NULL)
        snprintf(seen->leaked, sizeof seen->leaked, "%s", target);
    printf("log %d %s: %s\n", level, target, message);
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    secret = argv[3];
    int use_callback = strcmp(argv[4], "callback") == 0;
    struct seen seen = {0};
    if (use_callback)
        xenapi_ext_set_log_func(on_log, &seen, 4);
    xen_init();
    char *err = NULL;
    xenapi_ext_transport *t = xenapi_ext_transport_new(argv[1], NULL, &err);
    if (t == NULL) {
        fprintf(stderr, "transport: %s\n", err);
        free(err);
        return 1;
    }
    xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, argv[2], argv[3],
                                                     xen_api_latest_version);
    xen_vm_set *vms = NULL;
    int ok = s->ok && xen_vm_get_all(s, &vms);
    xen_vm_set_free(vms);
    xen_session_logout(s);
    if (use_callback) {
        /* Back to XENAPI_LOG (unset here): nothing more reaches the callback. */
        xenapi_ext_set_log_func(NULL, NULL, 0);
        int before = seen.count;
        xen_session *again = xen_session_login_with_password(xenapi_ext_call_func, t, argv[2],
                                                             argv[3], xen_api_latest_version);
        xen_session_logout(again);
        if (seen.count != before) {
            fprintf(stderr, "the callback was called after it was removed\n");
            return 1;
        }
        if (seen.calls != 2 || !seen.debug_level_ok || seen.leaked[0] != '\0') {
            fprintf(stderr, "calls %d, debug %d, leaked in %s\n", seen.calls,
                    seen.debug_level_ok, seen.leaked);
            return 1;
        }
    }
    xenapi_ext_transport_free(t);
    xen_fini();
    printf("logging: %s\n", ok ? "ok" : "call failed");
    return ok ? 0 : 1;
}

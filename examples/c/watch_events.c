/* Prints VM and host events as they happen (event.from), N rounds (default: forever). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

int main(int argc, char **argv)
{
    xen_session *session = example_login(argc, argv, "[ROUNDS]");
    long rounds = argc > 4 ? atol(argv[4]) : -1;
    struct xen_string_set *classes = xen_string_set_alloc(2);
    classes->contents[0] = strdup("vm");
    classes->contents[1] = strdup("host");
    char *token = strdup("");
    for (long r = 0; rounds < 0 || r < rounds; r++) {
        struct xen_event_batch *batch = NULL;
        if (!xen_event_from(session, &batch, classes, token, 30.0)) {
            example_print_error(session);
            break;
        }
        for (size_t i = 0; i < batch->events->size; i++) {
            xen_event_record *e = batch->events->contents[i];
            printf("%s %s %s\n", xen_event_operation_to_string(e->operation), e->XEN_CLAZZ,
                   e->ref);
        }
        fflush(stdout);
        free(token);
        token = strdup(batch->token);
        xen_event_batch_free(batch);
    }
    free(token);
    xen_string_set_free(classes);
    xen_session_logout(session);
    return 0;
}

/* Starts a VM (by name) with VM.start's Async form and waits for its task. */
#include <stdio.h>
#include <time.h>

#include "transport.h"

int main(int argc, char **argv)
{
    xen_session *session = example_login(argc, argv, "VM-NAME");
    if (argc < 5) {
        fprintf(stderr, "usage: %s URL USER PASSWORD VM-NAME\n", argv[0]);
        return 2;
    }
    int rc = 1;
    struct xen_vm_set *vms = NULL;
    xen_task task = NULL;
    if (!xen_vm_get_by_name_label(session, &vms, argv[4]))
        goto out;
    if (vms->size != 1) {
        fprintf(stderr, "%zu VMs are called %s\n", vms->size, argv[4]);
        goto out;
    }
    if (!xen_vm_start_async(session, &task, vms->contents[0], false, false))
        goto out;
    enum xen_task_status_type status = XEN_TASK_STATUS_TYPE_PENDING;
    while (status == XEN_TASK_STATUS_TYPE_PENDING) {
        double progress = 0;
        if (!xen_task_get_status(session, &status, task) ||
            !xen_task_get_progress(session, &progress, task))
            goto out;
        printf("\r%s %3.0f%%", xen_task_status_type_to_string(status), progress * 100);
        fflush(stdout);
        struct timespec pause = { 0, 200 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    printf("\n");
    if (status == XEN_TASK_STATUS_TYPE_SUCCESS) {
        rc = 0;
    } else {
        struct xen_string_set *info = NULL;
        if (xen_task_get_error_info(session, &info, task)) {
            for (size_t i = 0; i < info->size; i++)
                fprintf(stderr, "%s ", info->contents[i]);
            fprintf(stderr, "\n");
        }
        xen_string_set_free(info);
    }
    xen_task_destroy(session, task);
out:
    if (!session->ok)
        example_print_error(session);
    xen_task_free(task);
    xen_vm_set_free(vms);
    xen_session_logout(session);
    return rc;
}

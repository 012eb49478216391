/* Lists the VMs of a pool: name, power state, memory and vCPUs. */
#include <inttypes.h>
#include <stdio.h>

#include "transport.h"

int main(int argc, char **argv)
{
    xen_session *session = example_login(argc, argv, "");
    xen_vm_xen_vm_record_map *vms = NULL;
    if (!xen_vm_get_all_records(session, &vms)) {
        example_print_error(session);
        xen_session_logout(session);
        return 1;
    }
    printf("%-36s  %-10s  %10s  %5s  %s\n", "uuid", "state", "memory MiB", "vCPUs", "name");
    for (size_t i = 0; i < vms->size; i++) {
        xen_vm_record *vm = vms->contents[i].val;
        if (vm->is_a_template || vm->is_control_domain)
            continue;
        printf("%-36s  %-10s  %10" PRId64 "  %5" PRId64 "  %s\n", vm->uuid,
               xen_vm_power_state_to_string(vm->power_state),
               vm->memory_static_max / (1024 * 1024), vm->vcpus_max, vm->name_label);
    }
    xen_vm_xen_vm_record_map_free(vms);
    xen_session_logout(session);
    return 0;
}

/*
 * Records built and freed the way libvirt's xenapi driver does: calloc'd records filled
 * with the caller's own malloc'd strings, maps grown with realloc, record_opts holding
 * handles, everything released through the library's _free functions. Also sent as a
 * constructor's argument (to a canned server) to check what goes on the wire.
 */
#include "support.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Appends key=val to a map the caller grows itself. */
static void map_put(xen_string_string_map **map, const char *key, const char *val)
{
    size_t n = *map == NULL ? 1 : (*map)->size + 1;
    *map = realloc(*map, sizeof(xen_string_string_map) + n * sizeof(xen_string_string_map_contents));
    (*map)->size = n;
    (*map)->contents[n - 1].key = strdup(key);
    (*map)->contents[n - 1].val = strdup(val);
}

int main(void)
{
    const char *r[] = { OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
                        OK("OpaqueRef:new-vm"), OK("OpaqueRef:new-vif") };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = xen_session_login_with_password(canned_call_func, &c, "root", "pw",
                                                     xen_api_latest_version);
    CHECK(s, s->ok);

    xen_vm_record *vm = xen_vm_record_alloc();
    vm->name_label = strdup("guest");
    vm->uuid = strdup("5f3e0c5e-1b53-4a3a-9b54-b5d3b0e7e9a1");
    vm->hvm_boot_policy = strdup("BIOS order");
    map_put(&vm->hvm_boot_params, "order", "cd");
    vm->pv_bootloader = strdup("pygrub");
    vm->pv_kernel = strdup("/boot/vmlinuz");
    vm->pv_ramdisk = strdup("/boot/initrd");
    vm->pv_args = strdup("console=hvc0");
    vm->pv_bootloader_args = strdup("");
    vm->memory_static_max = 1 << 30;
    vm->memory_dynamic_max = vm->memory_static_max;
    vm->vcpus_max = 2;
    vm->vcpus_at_startup = 2;
    vm->actions_after_shutdown = XEN_ON_NORMAL_EXIT_DESTROY;
    vm->actions_after_reboot = XEN_ON_NORMAL_EXIT_RESTART;
    vm->actions_after_crash = XEN_ON_CRASH_BEHAVIOUR_RENAME_RESTART;
    map_put(&vm->platform, "acpi", "true");
    map_put(&vm->platform, "apic", "true");
    map_put(&vm->platform, "pae", "true");
    vm->vcpus_params = xen_string_string_map_alloc(0);
    vm->other_config = xen_string_string_map_alloc(0);
    vm->last_boot_cpu_flags = xen_string_string_map_alloc(0);
    vm->xenstore_data = xen_string_string_map_alloc(0);
    vm->hvm_shadow_multiplier = 1.0;
    xen_vm handle = NULL;
    CHECK(s, xen_vm_create(s, &handle, vm));
    CHECK(s, strstr(c.last_request, "<name>platform</name>") != NULL);
    CHECK(s, strstr(c.last_request, "pae") != NULL);
    CHECK(s, strstr(c.last_request, "rename_restart") != NULL);
    CHECK(s, strstr(c.last_request, "1073741824") != NULL);
    xen_vm_record_free(vm);

    xen_vm_record_opt *vm_opt = xen_vm_record_opt_alloc();
    vm_opt->is_record = false;
    vm_opt->u.handle = handle;
    xen_network_record_opt *net_opt = xen_network_record_opt_alloc();
    net_opt->is_record = false;
    net_opt->u.handle = strdup("OpaqueRef:net");
    xen_vif_record *vif = xen_vif_record_alloc();
    vif->mac = strdup("00:16:3e:00:00:01");
    vif->vm = vm_opt;
    vif->network = net_opt;
    vif->other_config = xen_string_string_map_alloc(0);
    vif->runtime_properties = xen_string_string_map_alloc(0);
    vif->qos_algorithm_params = xen_string_string_map_alloc(0);
    vif->device = strdup("0");
    xen_vif new_vif = NULL;
    CHECK(s, xen_vif_create(s, &new_vif, vif));
    CHECK(s, strstr(c.last_request, "OpaqueRef:new-vm") && strstr(c.last_request, "OpaqueRef:net"));
    CHECK(s, strstr(c.last_request, "00:16:3e:00:00:01") != NULL);
    xen_vif_free(new_vif);
    xen_vif_record_free(vif); /* frees the record_opts and their handles too */

    xen_vm_set *set = xen_vm_set_alloc(2);
    /* contents[] is declared `xen_vm *` (as in the original), it holds xen_vm values */
    set->contents[0] = (xen_vm *)strdup("OpaqueRef:a");
    set->contents[1] = (xen_vm *)strdup("OpaqueRef:b");
    xen_vm_set_free(set);

    xen_session_logout(s);
    canned_free(&c);
    printf("record_building: all checks passed\n");
    return 0;
}

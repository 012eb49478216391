/*
 * The C ABI against canned XML-RPC responses: login, every type kind decoded, parameters
 * encoded, failures (server, fault, transport, malformed), sticky errors, helpers.
 */
#include "support.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static xen_session *login_canned(canned *c)
{
    return xen_session_login_with_password(canned_call_func, c, "root", "secret",
                                           xen_api_latest_version);
}

static void test_login(void)
{
    const char *r[] = { OK("OpaqueRef:s1"), OK("OpaqueRef:h1"), OK("2"), OK("<i4>21</i4>") };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    CHECK(s, s != NULL && s->ok);
    CHECK_STR(s, s->session_id, "OpaqueRef:s1");
    CHECK(s, s->api_version == xen_api_version_2_21);
    CHECK_STR(s, xen_api_version_to_string(s->api_version), "2.21");
    CHECK(s, c.calls == 4);
    CHECK(s, strstr(c.last_request, "host.get_API_version_minor") != NULL);
    CHECK(s, strstr(c.last_request, "OpaqueRef:h1") != NULL);
    /* logout is sent (and fails: no response left), the session is freed either way */
    xen_session_logout(s);
    CHECK(NULL, c.calls == 5 && strstr(c.last_request, "session.logout") != NULL);
    canned_free(&c);
}

static void test_login_retry_with_two_params(void)
{
    const char *r[] = { FAIL1("MESSAGE_PARAMETER_COUNT_MISMATCH", "2"), OK("OpaqueRef:s2"),
                        OK("OpaqueRef:h1"), OK("1"), OK("10") };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    CHECK(s, s->ok);
    CHECK_STR(s, s->session_id, "OpaqueRef:s2");
    CHECK(s, s->api_version == xen_api_version_1_10);
    xen_session_logout(s);
    canned_free(&c);
}

static void test_login_failure(void)
{
    const char *r[] = { FAIL1("SESSION_AUTHENTICATION_FAILED", "root") };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    CHECK(s, s != NULL && !s->ok);
    CHECK(s, s->error_description_count == 2);
    CHECK_STR(s, s->error_description[0], "SESSION_AUTHENTICATION_FAILED");
    CHECK_STR(s, s->error_description[1], "root");
    CHECK(s, xen_api_failure_from_string(s->error_description[0]) ==
                 XEN_API_FAILURE_SESSION_AUTHENTICATION_FAILED);
    /* As libvirt does after a failed login: free the strings, then the session. */
    for (int i = 0; i < s->error_description_count; i++)
        free(s->error_description[i]);
    free(s->error_description);
    free(s);
    CHECK(NULL, c.calls == 1);
    canned_free(&c);
}

static void test_scalars(void)
{
    const char *r[] = {
        OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
        OK("my &lt;vm&gt;"),                              /* string */
        OK("4"),                                          /* int as a bare string */
        OK("<double>1.5</double>"),                       /* float */
        OK("<double>inf</double>"),
        OK("<boolean>1</boolean>"),                       /* bool */
        OK("<dateTime.iso8601>20170512T10:23:45Z</dateTime.iso8601>"),
        OK("Running"),                                    /* enum */
        OK("Sideways"),                                   /* unknown enum value */
        OK("OpaqueRef:host1"),                            /* ref */
    };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    CHECK(s, s->ok);
    xen_vm vm = "OpaqueRef:vm1";
    char *str = NULL;
    CHECK(s, xen_vm_get_name_label(s, &str, vm));
    CHECK_STR(s, str, "my <vm>");
    free(str);
    CHECK(s, strstr(c.last_request, "VM.get_name_label") && strstr(c.last_request, "OpaqueRef:vm1"));
    int64_t i = 0;
    CHECK(s, xen_vm_get_vcpus_max(s, &i, vm) && i == 4);
    double d = 0;
    CHECK(s, xen_vm_get_hvm_shadow_multiplier(s, &d, vm) && d == 1.5);
    CHECK(s, xen_vm_get_hvm_shadow_multiplier(s, &d, vm) && d > 1e308);
    bool b = false;
    CHECK(s, xen_vm_get_is_a_template(s, &b, vm) && b);
    time_t t = 0;
    CHECK(s, xen_vm_metrics_get_start_time(s, &t, "OpaqueRef:m") && t == 1494584625);
    enum xen_vm_power_state ps = XEN_VM_POWER_STATE_HALTED;
    CHECK(s, xen_vm_get_power_state(s, &ps, vm) && ps == XEN_VM_POWER_STATE_RUNNING);
    CHECK(s, xen_vm_get_power_state(s, &ps, vm) && ps == XEN_VM_POWER_STATE_UNDEFINED);
    xen_host host = NULL;
    CHECK(s, xen_vm_get_resident_on(s, &host, vm));
    CHECK_STR(s, (char *)host, "OpaqueRef:host1");
    xen_host_free(host);
    xen_session_logout(s);
    canned_free(&c);
}

static void test_containers_and_records(void)
{
    const char *r[] = {
        OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
        OK("<array><data><value>OpaqueRef:vif1</value><value>OpaqueRef:vif2</value></data></array>"),
        OK("<array><data></data></array>"),
        OK("<struct><member><name>a</name><value>1</value></member>"
           "<member><name>b</name><value>two</value></member></struct>"),
        OK("<struct><member><name>start</name><value>x</value></member>"
           "<member><name>clean_shutdown</name><value>y</value></member></struct>"),
        OK("<struct>"
           "<member><name>uuid</name><value>0b3a27f6-5a65-4e9c-8f2e-0a1b2c3d4e5f</value></member>"
           "<member><name>name_label</name><value>first</value></member>"
           "<member><name>name_label</name><value>last wins</value></member>"
           "<member><name>power_state</name><value>Halted</value></member>"
           "<member><name>memory_static_max</name><value>1073741824</value></member>"
           "<member><name>VIFs</name><value><array><data><value>OpaqueRef:vif1</value></data></array></value></member>"
           "<member><name>resident_on</name><value>OpaqueRef:NULL</value></member>"
           "<member><name>other_config</name><value><struct><member><name>k</name><value>v</value></member></struct></value></member>"
           "<member><name>a_field_from_the_future</name><value><struct><member><name>x</name><value><array><data><value>1</value></data></array></value></member></struct></value></member>"
           "<member><name>is_a_template</name><value><boolean>0</boolean></value></member>"
           "</struct>"),
    };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    xen_vm vm = "OpaqueRef:vm1";
    struct xen_vif_set *vifs = NULL;
    CHECK(s, xen_vm_get_vifs(s, &vifs, vm));
    CHECK(s, vifs->size == 2);
    CHECK_STR(s, (char *)vifs->contents[1], "OpaqueRef:vif2");
    xen_vif_set_free(vifs);
    CHECK(s, xen_vm_get_vifs(s, &vifs, vm) && vifs != NULL && vifs->size == 0);
    xen_vif_set_free(vifs);
    xen_string_string_map *map = NULL;
    CHECK(s, xen_vm_get_other_config(s, &map, vm));
    CHECK(s, map->size == 2);
    CHECK_STR(s, map->contents[0].key, "a");
    CHECK_STR(s, map->contents[1].val, "two");
    xen_string_string_map_free(map);
    xen_vm_operations_string_map *ops = NULL;
    CHECK(s, xen_vm_get_blocked_operations(s, &ops, vm));
    CHECK(s, ops->size == 2 && ops->contents[0].key == XEN_VM_OPERATIONS_START);
    CHECK(s, ops->contents[1].key == XEN_VM_OPERATIONS_CLEAN_SHUTDOWN);
    CHECK_STR(s, ops->contents[1].val, "y");
    xen_vm_operations_string_map_free(ops);
    xen_vm_record *rec = NULL;
    CHECK(s, xen_vm_get_record(s, &rec, vm));
    CHECK_STR(s, rec->uuid, "0b3a27f6-5a65-4e9c-8f2e-0a1b2c3d4e5f");
    CHECK_STR(s, rec->name_label, "last wins");
    CHECK(s, rec->power_state == XEN_VM_POWER_STATE_HALTED);
    CHECK(s, rec->memory_static_max == 1073741824LL);
    CHECK(s, rec->vifs->size == 1 && !rec->vifs->contents[0]->is_record);
    CHECK_STR(s, (char *)rec->vifs->contents[0]->u.handle, "OpaqueRef:vif1");
    CHECK_STR(s, (char *)rec->resident_on->u.handle, "OpaqueRef:NULL");
    CHECK(s, rec->other_config->size == 1);
    CHECK(s, rec->name_description == NULL); /* absent: left empty */
    CHECK(s, !rec->is_a_template);
    /* get_record fills in the handle with the ref asked for */
    CHECK_STR(s, (char *)rec->handle, "OpaqueRef:vm1");
    /* callers put their own malloc'd strings into records and free through the library */
    free(rec->name_label);
    rec->name_label = strdup("mine");
    xen_vm_record_free(rec);
    xen_session_logout(s);
    canned_free(&c);
}

static void test_nested_containers(void)
{
    const char *r[] = {
        OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
        OK("<struct><member><name>0</name><value><double>0.25</double></value></member>"
           "<member><name>1</name><value><double>-inf</double></value></member></struct>"),
        OK("<array><data><value>1</value><value><i4>9000000</i4></value><value>4294967296</value></data></array>"),
        OK("<array><data><value><array><data><value>a</value><value>b</value></data></array></value>"
           "<value><array><data></data></array></value></data></array>"),
        OK("<struct><member><name>3</name><value><array><data><value>fpu</value></data></array></value></member></struct>"),
    };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    xen_int_float_map *util = NULL;
    CHECK(s, xen_vm_metrics_get_vcpus_utilisation(s, &util, "OpaqueRef:m"));
    CHECK(s, util->size == 2 && util->contents[0].key == 0 && util->contents[0].val == 0.25);
    CHECK(s, util->contents[1].key == 1 && util->contents[1].val < -1e308);
    xen_int_float_map_free(util);
    xen_int_set *ints = NULL;
    CHECK(s, xen_host_get_virtual_hardware_platform_versions(s, &ints, "OpaqueRef:h"));
    CHECK(s, ints->size == 3 && ints->contents[1] == 9000000 && ints->contents[2] == 4294967296LL);
    xen_int_set_free(ints);
    xen_string_set_set *sets = NULL;
    CHECK(s, xen_pool_check_update_readiness(s, &sets, "OpaqueRef:p", true));
    CHECK(s, strstr(c.last_request, "<boolean>1</boolean>") != NULL);
    CHECK(s, sets->size == 2 && sets->contents[0]->size == 2 && sets->contents[1]->size == 0);
    CHECK_STR(s, sets->contents[0]->contents[1], "b");
    xen_string_set_set_free(sets);
    xen_int_string_set_map *flags = NULL;
    CHECK(s, xen_vm_metrics_get_vcpus_flags(s, &flags, "OpaqueRef:m"));
    CHECK(s, flags->size == 1 && flags->contents[0].key == 3);
    CHECK_STR(s, flags->contents[0].val->contents[0], "fpu");
    xen_int_string_set_map_free(flags);
    xen_session_logout(s);
    canned_free(&c);
}

static void test_parameters(void)
{
    const char *r[] = { OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
                        OK(""), OK(""), OK("<struct></struct>"), OK("OpaqueRef:new") };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    xen_vm vm = "OpaqueRef:vm1";
    CHECK(s, xen_vm_set_actions_after_crash(s, vm, XEN_ON_CRASH_BEHAVIOUR_COREDUMP_AND_RESTART));
    CHECK(s, strstr(c.last_request, "coredump_and_restart") != NULL);
    xen_vm_operations_string_map *ops = xen_vm_operations_string_map_alloc(1);
    ops->contents[0].key = XEN_VM_OPERATIONS_HARD_SHUTDOWN;
    ops->contents[0].val = strdup("not now");
    CHECK(s, xen_vm_set_blocked_operations(s, vm, ops));
    CHECK(s, strstr(c.last_request, "hard_shutdown") && strstr(c.last_request, "not now"));
    xen_vm_operations_string_map_free(ops);
    /* a datetime parameter (the original aborted) is sent as UTC */
    struct xen_message_xen_message_record_map *msgs = NULL;
    CHECK(s, xen_message_get_since(s, &msgs, 1494584625));
    CHECK(s, strstr(c.last_request, "20170512T10:23:45Z") != NULL);
    CHECK(s, msgs != NULL && msgs->size == 0);
    xen_message_xen_message_record_map_free(msgs);
    /* a constructor's record: a libvirt-style calloc'd record with a few members set */
    xen_vm_record *rec = xen_vm_record_alloc();
    rec->name_label = strdup("new vm");
    rec->memory_static_max = 2048;
    rec->actions_after_crash = XEN_ON_CRASH_BEHAVIOUR_RESTART;
    rec->other_config = xen_string_string_map_alloc(1);
    rec->other_config->contents[0].key = strdup("k");
    rec->other_config->contents[0].val = strdup("v");
    xen_vm created = NULL;
    CHECK(s, xen_vm_create(s, &created, rec));
    CHECK_STR(s, (char *)created, "OpaqueRef:new");
    CHECK(s, strstr(c.last_request, "VM.create") && strstr(c.last_request, "new vm"));
    CHECK(s, strstr(c.last_request, "2048") != NULL);
    /* RO/runtime fields are not sent to a constructor (RO/constructor ones are) */
    CHECK(s, strstr(c.last_request, "resident_on") == NULL);
    CHECK(s, strstr(c.last_request, "<name>power_state</name>") != NULL);
    xen_vm_free(created);
    xen_vm_record_free(rec);
    /* invalid arguments are refused before anything is sent */
    size_t calls = c.calls;
    CHECK(s, !xen_vm_get_name_label(s, NULL, vm));
    CHECK_STR(s, s->error_description[0], "CLIENT_ERROR");
    xen_session_clear_error(s);
    char *str = NULL;
    CHECK(s, !xen_vm_get_name_label(s, &str, NULL));
    CHECK_STR(s, s->error_description[0], "CLIENT_ERROR");
    xen_session_clear_error(s);
    CHECK(s, !xen_vm_set_actions_after_crash(s, vm, XEN_ON_CRASH_BEHAVIOUR_UNDEFINED));
    CHECK_STR(s, s->error_description[0], "CLIENT_ERROR");
    xen_session_clear_error(s);
    CHECK(s, c.calls == calls);
    CHECK(NULL, !xen_vm_get_name_label(NULL, &str, vm));
    xen_session_logout(s);
    canned_free(&c);
}

static void test_failures(void)
{
    const char *r[] = {
        OK("OpaqueRef:s"), OK("OpaqueRef:h"), OK("2"), OK("23"),
        FAIL1("HANDLE_INVALID", "VM"),
        "<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
        "<member><name>faultCode</name><value><int>-1</int></value></member>"
        "<member><name>faultString</name><value>no such method</value></member>"
        "</struct></value></fault></methodResponse>",
        "<methodResponse><params><param><value><struct><member><name>Status",
        OK("<array><data><value>OpaqueRef:a</value><value>not closed"),
        OK("not a number"),
        OK("back to normal"),
    };
    canned c = { r, N(r), 0, 0, 0, NULL };
    xen_session *s = login_canned(&c);
    xen_vm vm = "OpaqueRef:vm1";
    char *str = NULL;
    CHECK(s, !xen_vm_get_name_label(s, &str, vm) && str == NULL);
    CHECK(s, s->error_description_count == 2);
    CHECK_STR(s, s->error_description[0], "HANDLE_INVALID");
    CHECK_STR(s, s->error_description[1], "VM");
    /* sticky: nothing is sent while the session is in error */
    size_t calls = c.calls;
    CHECK(s, !xen_vm_get_name_label(s, &str, vm));
    CHECK(s, c.calls == calls);
    xen_session_clear_error(s);
    CHECK(s, s->ok && s->error_description == NULL && s->error_description_count == 0);
    CHECK(s, !xen_vm_get_name_label(s, &str, vm));
    CHECK(s, s->error_description_count == 3);
    CHECK_STR(s, s->error_description[0], "FAULT");
    CHECK_STR(s, s->error_description[1], "-1");
    CHECK_STR(s, s->error_description[2], "no such method");
    xen_session_clear_error(s);
    CHECK(s, !xen_vm_get_name_label(s, &str, vm));
    CHECK_STR(s, s->error_description[0], "SERVER_FAULT");
    xen_session_clear_error(s);
    struct xen_vif_set *vifs = NULL;
    CHECK(s, !xen_vm_get_vifs(s, &vifs, vm) && vifs == NULL); /* partial result freed */
    CHECK_STR(s, s->error_description[0], "SERVER_FAULT");
    xen_session_clear_error(s);
    int64_t i = 0;
    CHECK(s, !xen_vm_get_vcpus_max(s, &i, vm));
    CHECK_STR(s, s->error_description[0], "SERVER_FAULT");
    xen_session_clear_error(s);
    CHECK(s, xen_vm_get_name_label(s, &str, vm));
    CHECK_STR(s, str, "back to normal");
    free(str);
    /* a transport failure */
    c.rc = 7;
    CHECK(s, !xen_vm_get_name_label(s, &str, vm));
    CHECK(s, s->error_description_count == 2);
    CHECK_STR(s, s->error_description[0], "TRANSPORT_FAULT");
    CHECK_STR(s, s->error_description[1], "7");
    /* logout is not sent for a session in error */
    calls = c.calls;
    xen_session_logout(s);
    CHECK(NULL, c.calls == calls);
    canned_free(&c);
}

static void test_helpers(void)
{
    CHECK_STR(NULL, xen_vm_power_state_to_string(XEN_VM_POWER_STATE_SUSPENDED), "Suspended");
    CHECK(NULL, xen_vm_power_state_from_string(NULL, "Paused") == XEN_VM_POWER_STATE_PAUSED);
    CHECK(NULL, xen_vm_power_state_from_string(NULL, "nonsense") == XEN_VM_POWER_STATE_UNDEFINED);
    CHECK(NULL, xen_on_normal_exit_from_string(NULL, "restart") == XEN_ON_NORMAL_EXIT_RESTART);
    CHECK(NULL, xen_api_failure_from_string("NO_SUCH_CODE") == XEN_API_FAILURE_UNDEFINED);
    CHECK_STR(NULL, xen_api_failure_to_string(XEN_API_FAILURE_HANDLE_INVALID), "HANDLE_INVALID");
    CHECK(NULL, xen_api_version_from_int(2, 0) == xen_api_version_2_0);
    CHECK(NULL, xen_api_version_from_int(7, 77) == xen_api_unknown_version);
    xen_int_set *ints = xen_int_set_alloc(2);
    ints->contents[1] = 1LL << 40; /* 64-bit elements */
    CHECK(NULL, ints->size == 2 && ints->contents[1] == 1LL << 40);
    xen_int_set_free(ints);
    xen_string_string_map *m = xen_string_string_map_alloc(1);
    m->contents[0].key = strdup("k");
    m->contents[0].val = strdup("v");
    /* callers realloc maps themselves (libvirt does) */
    m = realloc(m, sizeof(*m) + 2 * sizeof(m->contents[0]));
    m->contents[1].key = strdup("k2");
    m->contents[1].val = strdup("v2");
    m->size = 2;
    xen_string_string_map_free(m);
    xen_vm_record_opt *opt = xen_vm_record_opt_alloc();
    opt->is_record = true;
    opt->u.record = xen_vm_record_alloc();
    opt->u.record->name_label = strdup("x");
    xen_vm_record_opt_free(opt);
    xen_vm_set_free(NULL);
    xen_vm_record_free(NULL);
    char *bytes = NULL, *text = NULL;
    CHECK(NULL, xen_uuid_string_to_bytes("0b3a27f6-5a65-4e9c-8f2e-0a1b2c3d4e5f", &bytes));
    CHECK(NULL, xen_uuid_bytes_to_string(bytes, &text));
    CHECK_STR(NULL, text, "0b3a27f6-5a65-4e9c-8f2e-0a1b2c3d4e5f");
    xen_uuid_free(text);
    xen_uuid_bytes_free(bytes);
    xen_session_clear_error(NULL);
    xen_session_logout(NULL);
}

int main(void)
{
    xen_init();
    test_login();
    test_login_retry_with_two_params();
    test_login_failure();
    test_scalars();
    test_containers_and_records();
    test_nested_containers();
    test_parameters();
    test_failures();
    test_helpers();
    xen_fini();
    printf("offline: all checks passed\n");
    return 0;
}

/*
 * Segue caching edge: the edge-token check (docs/formats/edge-token.md) as an nginx module, in
 * the access phase of the locations that turn it on. The same checks and refusals as
 * deploy/nginx/edge_token.js (the njs fallback), without an interpreter per request:
 *
 *   token   = base64url(payload) "." base64url(HMAC-SHA256(edge_key, payload))
 *   payload = "e1." file_id "." user_id "." expiry_unix
 *
 * Directives:
 *   segue_edge_token_key_file PATH;   (http, server, location) the cluster's edge key: 64 to
 *                                     256 hex characters, surrounding whitespace ignored; the
 *                                     HMAC key is that text. Read when the configuration is
 *                                     loaded: a missing, unreadable or malformed file stops
 *                                     nginx from starting (or reloading) with the reason.
 *   segue_edge_token on|off;          (http, server, location) check every request's
 *                                     `token` argument against the URI /audio/<file_id>.
 *
 * A refused request is answered here: 403, Content-Type application/json, body
 * {"error":{"status":403,"message":REASON}} with the reasons edge_token.js gives. An accepted
 * one goes on to the other phases (the cache, the proxy).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>


#define SEGUE_PREFIX          "/audio/"
#define SEGUE_PREFIX_LEN      (sizeof(SEGUE_PREFIX) - 1)
#define SEGUE_ID_LEN          22
#define SEGUE_TOKEN_MAX       512
/* base64url of 32 bytes: 43 characters, the last one carrying 2 spare bits that must be 0. */
#define SEGUE_MAC_CHARS       43
#define SEGUE_MAC_LEN         32
#define SEGUE_KEY_MIN         64
#define SEGUE_KEY_MAX         256
#define SEGUE_KEY_FILE_MAX    4096


typedef struct {
    ngx_flag_t     enable;
    ngx_str_t      key_file;   /* as configured, for messages */
    EVP_MAC_CTX   *mac;        /* keyed HMAC-SHA256, re-initialised per request */
} ngx_http_segue_edge_token_loc_conf_t;


/* The refusals: the reason and the whole 403 body, built at compile time. */
#define SEGUE_BODY(reason) \
    "{\"error\":{\"status\":403,\"message\":\"" reason "\"}}\n"

typedef enum {
    SEGUE_OK = 0,
    SEGUE_UNKNOWN_FILE,
    SEGUE_MISSING,
    SEGUE_MALFORMED,
    SEGUE_SIGNATURE,
    SEGUE_VERSION,
    SEGUE_OTHER_FILE,
    SEGUE_BAD_EXPIRY,
    SEGUE_EXPIRED,
    SEGUE_INTERNAL
} ngx_http_segue_edge_token_result_e;

static ngx_str_t  ngx_http_segue_edge_token_bodies[] = {
    ngx_null_string,
    ngx_string(SEGUE_BODY("Unknown file")),
    ngx_string(SEGUE_BODY("Missing stream token")),
    ngx_string(SEGUE_BODY("malformed edge token")),
    ngx_string(SEGUE_BODY("invalid edge token signature")),
    ngx_string(SEGUE_BODY("unknown edge token version")),
    ngx_string(SEGUE_BODY("edge token is for another file")),
    ngx_string(SEGUE_BODY("malformed edge token expiry")),
    ngx_string(SEGUE_BODY("edge token expired")),
    ngx_string(SEGUE_BODY("this edge cannot check edge tokens"))
};


static ngx_int_t ngx_http_segue_edge_token_handler(ngx_http_request_t *r);
static void *ngx_http_segue_edge_token_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_segue_edge_token_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_segue_edge_token_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_segue_edge_token_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_segue_edge_token_commands[] = {

    { ngx_string("segue_edge_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_segue_edge_token_loc_conf_t, enable),
      NULL },

    { ngx_string("segue_edge_token_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_segue_edge_token_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_segue_edge_token_module_ctx = {
    NULL,                                          /* preconfiguration */
    ngx_http_segue_edge_token_init,                /* postconfiguration */

    NULL,                                          /* create main configuration */
    NULL,                                          /* init main configuration */

    NULL,                                          /* create server configuration */
    NULL,                                          /* merge server configuration */

    ngx_http_segue_edge_token_create_loc_conf,     /* create location configuration */
    ngx_http_segue_edge_token_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_segue_edge_token_module = {
    NGX_MODULE_V1,
    &ngx_http_segue_edge_token_module_ctx,         /* module context */
    ngx_http_segue_edge_token_commands,            /* module directives */
    NGX_HTTP_MODULE,                               /* module type */
    NULL,                                          /* init master */
    NULL,                                          /* init module */
    NULL,                                          /* init process */
    NULL,                                          /* init thread */
    NULL,                                          /* exit thread */
    NULL,                                          /* exit process */
    NULL,                                          /* exit master */
    NGX_MODULE_V1_PADDING
};


/* base64url (RFC 4648 section 5): each character's 6-bit value; 0xff for every other byte.
 * Filled once by the module's postconfiguration. */
static u_char  ngx_http_segue_b64url[256];


static void
ngx_http_segue_b64url_init(void)
{
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    ngx_uint_t         i;

    ngx_memset(ngx_http_segue_b64url, 0xff, sizeof(ngx_http_segue_b64url));
    for (i = 0; i < 64; i++) {
        ngx_http_segue_b64url[(u_char) alphabet[i]] = (u_char) i;
    }
}


/*
 * Decodes base64url without padding into dst (room for len * 3 / 4 bytes). NGX_ERROR when a
 * byte is outside the alphabet, else NGX_DECLINED when len is 4k+1 (no whole number of bytes).
 * One table lookup per character, without a branch on its value: this runs on every request.
 */
static ngx_int_t
ngx_http_segue_b64url_decode(u_char *dst, size_t *dst_len, const u_char *src, size_t len)
{
    u_char      v, bad;
    u_char     *d;
    uint32_t    acc;
    ngx_uint_t  bits;
    size_t      i;

    d = dst;
    acc = 0;
    bits = 0;
    bad = 0;
    for (i = 0; i < len; i++) {
        v = ngx_http_segue_b64url[src[i]];
        bad |= v;
        acc = (acc << 6) | (v & 0x3f);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *d++ = (u_char) (acc >> bits);
        }
    }

    if (bad & 0x80) {
        return NGX_ERROR;
    }

    if (len % 4 == 1) {
        return NGX_DECLINED;
    }

    *dst_len = d - dst;
    return NGX_OK;
}


/*
 * The checks, in the order edge_token.js makes them; returns which one failed (SEGUE_OK when
 * none did).
 */
static ngx_http_segue_edge_token_result_e
ngx_http_segue_edge_token_check(ngx_http_request_t *r,
    ngx_http_segue_edge_token_loc_conf_t *conf)
{
    u_char      *p, *last, *dot, *fields[4];
    size_t       fields_len[4], mac_len, payload_len, got_len;
    time_t       expiry;
    ngx_int_t    rc;
    ngx_str_t    token;
    ngx_uint_t   i, n;
    u_char       payload[SEGUE_TOKEN_MAX], got[SEGUE_TOKEN_MAX];
    u_char       expected[EVP_MAX_MD_SIZE];

    /* The location matched /audio/ and 22 base62 characters; the id is compared with the
     * signed one below. */
    if (r->uri.len != SEGUE_PREFIX_LEN + SEGUE_ID_LEN
        || ngx_strncmp(r->uri.data, SEGUE_PREFIX, SEGUE_PREFIX_LEN) != 0)
    {
        return SEGUE_UNKNOWN_FILE;
    }

    /* The first `token=` argument, raw (as $arg_token): a token is base64url and one '.',
     * which nothing percent-encodes, so a percent-encoded one is refused as malformed. */
    if (ngx_http_arg(r, (u_char *) "token", 5, &token) != NGX_OK || token.len == 0) {
        return SEGUE_MISSING;
    }

    if (token.len > SEGUE_TOKEN_MAX) {
        return SEGUE_MALFORMED;
    }

    /* Shape: base64url characters, exactly one '.' (a second one is outside the alphabet),
     * at least one character on each side; both sides decoded. */
    last = token.data + token.len;
    dot = ngx_strlchr(token.data, last, '.');
    if (dot == NULL || dot == token.data || dot + 1 == last) {
        return SEGUE_MALFORMED;
    }

    payload_len = 0;
    got_len = 0;
    rc = ngx_http_segue_b64url_decode(payload, &payload_len, token.data, dot - token.data);
    if (rc == NGX_ERROR
        || ngx_http_segue_b64url_decode(got, &got_len, dot + 1, last - dot - 1) == NGX_ERROR)
    {
        return SEGUE_MALFORMED;
    }

    /* A payload of 4k+1 characters encodes no whole number of bytes: no MAC can match it
     * (njs decodes it with the last character dropped and refuses the signature too, unless
     * the token is another spelling of a valid one, which is refused here). */
    if (rc == NGX_DECLINED) {
        return SEGUE_SIGNATURE;
    }

    if (conf->mac == NULL) {
        return SEGUE_INTERNAL;
    }

    /* HMAC-SHA256 of the payload (the keyed context re-initialised: the key is not hashed
     * again), compared with the token's MAC in time independent of where they differ. */
    mac_len = 0;
    if (EVP_MAC_init(conf->mac, NULL, 0, NULL) != 1
        || EVP_MAC_update(conf->mac, payload, payload_len) != 1
        || EVP_MAC_final(conf->mac, expected, &mac_len, sizeof(expected)) != 1
        || mac_len != SEGUE_MAC_LEN)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "segue_edge_token: HMAC-SHA256 failed");
        return SEGUE_INTERNAL;
    }

    if (last - dot - 1 != SEGUE_MAC_CHARS || got_len != SEGUE_MAC_LEN) {
        return SEGUE_SIGNATURE;
    }

    /* The last character's 2 spare bits must be zero (else four spellings of one MAC would
     * all decode to it): its 6-bit value is a multiple of 4. */
    n = (CRYPTO_memcmp(got, expected, SEGUE_MAC_LEN) != 0);
    n |= (ngx_http_segue_b64url[last[-1]] & 3);
    if (n) {
        return SEGUE_SIGNATURE;
    }

    /* e1.<file_id>.<user_id>.<expiry>: exactly four fields. */
    p = payload;
    last = payload + payload_len;
    n = 0;
    fields[0] = p;
    for ( /* void */ ; p < last; p++) {
        if (*p == '.') {
            if (n == 3) {
                return SEGUE_VERSION;
            }
            fields_len[n] = p - fields[n];
            fields[++n] = p + 1;
        }
    }
    if (n != 3) {
        return SEGUE_VERSION;
    }
    fields_len[3] = last - fields[3];

    if (fields_len[0] != 2 || fields[0][0] != 'e' || fields[0][1] != '1') {
        return SEGUE_VERSION;
    }

    if (fields_len[1] != SEGUE_ID_LEN
        || ngx_memcmp(fields[1], r->uri.data + SEGUE_PREFIX_LEN, SEGUE_ID_LEN) != 0)
    {
        return SEGUE_OTHER_FILE;
    }

    /* A canonical non-negative integer of 1 to 12 digits ("01", "1e3", " 1" are refused). */
    if (fields_len[3] == 0 || fields_len[3] > 12
        || (fields_len[3] > 1 && fields[3][0] == '0'))
    {
        return SEGUE_BAD_EXPIRY;
    }

    expiry = 0;
    for (i = 0; i < fields_len[3]; i++) {
        if (fields[3][i] < '0' || fields[3][i] > '9') {
            return SEGUE_BAD_EXPIRY;
        }
        expiry = expiry * 10 + (fields[3][i] - '0');
    }

    if (ngx_time() >= expiry) {
        return SEGUE_EXPIRED;
    }

    return SEGUE_OK;
}


static ngx_int_t
ngx_http_segue_edge_token_handler(ngx_http_request_t *r)
{
    ngx_int_t                              rc;
    ngx_str_t                              type = ngx_string("application/json");
    ngx_http_complex_value_t               body;
    ngx_http_segue_edge_token_result_e     result;
    ngx_http_segue_edge_token_loc_conf_t  *conf;

    conf = ngx_http_get_module_loc_conf(r, ngx_http_segue_edge_token_module);
    if (!conf->enable) {
        return NGX_DECLINED;
    }

    result = ngx_http_segue_edge_token_check(r, conf);
    if (result == SEGUE_OK) {
        return NGX_OK;
    }

    /* Answer the refusal here (its JSON body), then end the request: NGX_DONE stops the
     * phases without finalizing it a second time. */
    ngx_memzero(&body, sizeof(ngx_http_complex_value_t));
    body.value = ngx_http_segue_edge_token_bodies[result];

    rc = ngx_http_send_response(r, NGX_HTTP_FORBIDDEN, &type, &body);
    ngx_http_finalize_request(r, rc);
    return NGX_DONE;
}


static void
ngx_http_segue_edge_token_free_mac(void *data)
{
    EVP_MAC_CTX_free(data);
}


static char *
ngx_http_segue_edge_token_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_segue_edge_token_loc_conf_t *etcf = conf;

    u_char              *start, *end, *p;
    ssize_t              n;
    ngx_fd_t             fd;
    ngx_str_t           *value, name;
    EVP_MAC             *hmac;
    OSSL_PARAM           params[2];
    ngx_pool_cleanup_t  *cln;
    u_char               buf[SEGUE_KEY_FILE_MAX + 1];

    if (etcf->mac != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    etcf->key_file = value[1];
    name = value[1];
    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot open the edge key file \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, buf, sizeof(buf));
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "cannot read the edge key file \"%V\"", &name);
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }
    (void) ngx_close_file(fd);

    /* The key's text, surrounding whitespace ignored. */
    start = buf;
    end = buf + n;
    while (start < end && (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')) {
        start++;
    }
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }

    for (p = start; p < end; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))) {
            break;
        }
    }

    if ((size_t) n > SEGUE_KEY_FILE_MAX || p != end
        || end - start < SEGUE_KEY_MIN || end - start > SEGUE_KEY_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the edge key file \"%V\" does not hold an edge key "
                           "(64 to 256 hex characters, e.g. openssl rand -hex 32)%s",
                           &name, start == end ? ": it is empty" : "");
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    etcf->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
    EVP_MAC_free(hmac);
    if (etcf->mac == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "OpenSSL has no HMAC");
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        EVP_MAC_CTX_free(etcf->mac);
        etcf->mac = NULL;
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }
    cln->handler = ngx_http_segue_edge_token_free_mac;
    cln->data = etcf->mac;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(etcf->mac, start, end - start, params) != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "OpenSSL cannot key HMAC-SHA256");
        ngx_explicit_memzero(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    ngx_explicit_memzero(buf, sizeof(buf));
    return NGX_CONF_OK;
}


static void *
ngx_http_segue_edge_token_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_segue_edge_token_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_segue_edge_token_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = NGX_CONF_UNSET;
    return conf;
}


static char *
ngx_http_segue_edge_token_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_segue_edge_token_loc_conf_t *prev = parent;
    ngx_http_segue_edge_token_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    if (conf->mac == NULL) {
        conf->mac = prev->mac;
        conf->key_file = prev->key_file;
    }

    if (conf->enable && conf->mac == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"segue_edge_token on\" needs \"segue_edge_token_key_file\" "
                           "(here or in an enclosing block)");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_segue_edge_token_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_segue_edge_token_handler;

    ngx_http_segue_b64url_init();
    return NGX_OK;
}

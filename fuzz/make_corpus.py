#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/).

Real responses come from the emulator (started here, HTTPS, read raw with `openssl s_client`
so the bytes are exactly what it sends); the rest is written by hand below.

    fuzz/make_corpus.py [path/to/apig-emulator]   # default: build/release/tools/emulator/apig-emulator

Input formats (see each target's source):
  fuzz_page_decoder  [2 bytes: split control][body]
  fuzz_error_body    [status selector][n][reason][n: 2 bytes][request id][n][secret][body]
  fuzz_response      [piece size selector][body limit selector][raw response bytes]
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
PROJECT = "73d69ae0cfcf460190522d06b60f05ad"
TOKEN = "emulator-token"


def start_emulator(exe, *args):
    p = subprocess.Popen([exe, "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
    return p, port


def get(port, target, token=TOKEN):
    auth = f"X-Auth-Token: {token}\r\n" if token else ""
    req = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
    out = subprocess.run(["openssl", "s_client", "-quiet", "-connect", f"127.0.0.1:{port}"],
                         input=req.encode(), capture_output=True, timeout=10).stdout
    assert out.startswith(b"HTTP/1.1 "), out[:100]
    return out


def body_of(raw):
    return raw.split(b"\r\n\r\n", 1)[1]


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunked(body, sizes, ext=b"", trailer=b""):
    out, pos, i = b"", 0, 0
    while pos < len(body):
        n = sizes[i % len(sizes)]
        piece = body[pos:pos + n]
        out += b"%x" % len(piece) + (ext if i == 0 else b"") + b"\r\n" + piece + b"\r\n"
        pos += n
        i += 1
    return out + b"0\r\n" + trailer + b"\r\n"


def response(status, reason, body, headers=(), content_type=b"application/json;charset=UTF-8",
             length=True, request_id=b"5f1c0a9e2b7d4c3f8a6e1d0b9c8f7a65"):
    h = b"HTTP/1.1 %d %s\r\nServer: apig-emulator\r\n" % (status, reason)
    if content_type:
        h += b"Content-Type: " + content_type + b"\r\n"
    if length:
        h += b"Content-Length: %d\r\n" % len(body)
    if request_id:
        h += b"X-Request-Id: " + request_id + b"\r\n"
    for x in headers:
        h += x + b"\r\n"
    return h + b"\r\n" + body


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/release/tools/emulator/apig-emulator")
    base = f"/v2/{PROJECT}/apigw/instances"
    raw = {}
    emu, port = start_emulator(exe, "--instances", "250")
    try:
        raw["page2"] = get(port, base + "?limit=2")
        raw["page20"] = get(port, base + "?limit=20&offset=20")
        raw["locks"] = get(port, base + "?limit=2&offset=6")        # cbc_operation_locks
        raw["future_status"] = get(port, base + "?limit=2&offset=41")  # Hibernating, 99
        raw["future_spec"] = get(port, base + "?limit=2&offset=76")    # PLATINUM_X16
        raw["last_page"] = get(port, base + "?limit=20&offset=249")
        raw["empty_page"] = get(port, base + "?offset=250")
        raw["401"] = get(port, base, token=None)
        raw["400"] = get(port, base + "?limit=abc")
        raw["403"] = get(port, f"/v2/{'0' * 32}/apigw/instances")
        raw["404"] = get(port, "/v3/nothing")
    finally:
        emu.terminate()
        emu.wait()
    for name, opts in [("500", ["--p500", "1"]), ("503", ["--p503", "1", "--retry-after", "3"]),
                       ("malformed", ["--pmalformed", "1"]), ("truncated", ["--ptruncate", "1"])]:
        emu, port = start_emulator(exe, "--instances", "5", *opts)
        try:
            raw[name] = get(port, base + "?limit=2")
        finally:
            emu.terminate()
            emu.wait()

    # ---- fuzz_page_decoder -----------------------------------------------------------------
    t = "fuzz_page_decoder"
    pages = {k: body_of(raw[k]) for k in ["page2", "page20", "locks", "future_status", "future_spec",
                                           "last_page", "empty_page", "malformed"]}
    pages["truncated"] = body_of(raw["truncated"])
    pages["doc_example"] = (
        b'{"total":2,"size":2,"instances":[{"cbc_metadata":"CS2006301043A28NF:00301-734023-0--0",'
        b'"charging_mode":1,"create_time":1585302825070,"eip_address":"100.95.155.221",'
        b'"enterprise_project_id":"0","id":"eddc4d25480b4cd6b512f270a1b8b341",'
        b'"instance_name":"apig-Enterprise_Project_Pay-per-Use","instance_status":6,'
        b'"project_id":"73d69ae0cfcf460190522d06b60f05ad","spec":"PROFESSIONAL","status":"Running","type":"apig"}]}\n')
    pages["rich"] = (
        b' {"request_info":{"id":"x","instances":[1,2,{"x":[]}]},"total":3,"size":3,'
        b'"a_very_long_unknown_key_that_exceeds_any_buffer_0123456789":[[[{"k":"v"}]]],"instances":['
        b'{"id":"i-1","instance_name":"\xe7\xbd\x91\xe5\x85\xb3\\n\\"q\\"\\u00e9\\ud83d\\ude00","status":"Hibernating",'
        b'"instance_status":77,"spec":"PLATINUM_X8","create_time":-9223372036854775808,"charging_mode":9,'
        b'"loadbalancer_provider":"elb","cbc_operation_locks":[{"lock_scene":"TO_PERIOD_LOCK","lock_source_id":"o-1",'
        b'"extra":{"a":[true,null]}},{"lock_scene":null},{}],"unknown_num":1.5e300,"unknown_bool":false,'
        b'"unknown_null":null,"unknown_str":"\\u0000x","type":"apig","eip_address":"","cbc_metadata":null},{},'
        b'{"status":"UnRegisterFailed","instance_status":26,"loadbalancer_provider":"nlb","cbc_operation_locks":[],'
        b'"create_time":9223372036854775807,"project_id":"p","enterprise_project_id":"0","spec":"NEW_SPEC"}],'
        b'"trailer":"\\ud83d\\ude00"} ')
    pages["nulls"] = b'{"total":null,"size":null,"instances":null}'
    pages["null_fields"] = (b'{"instances":[{"id":null,"status":null,"instance_status":null,"spec":null,'
                            b'"create_time":null,"charging_mode":null,"loadbalancer_provider":null,'
                            b'"cbc_operation_locks":null,"eip_address":null}]}')
    pages["duplicates"] = b'{"size":1,"size":2,"instances":[{"id":"a","id":null}],"instances":[{"id":"b"}],"total":5}'
    pages["wrong_string"] = b'{"total":"250"}'
    pages["wrong_element"] = b'{"instances":[{"id":"a"},null]}'
    pages["wrong_float"] = b'{"instances":[{"create_time":1.0}]}'
    pages["int32_overflow"] = b'{"instances":[{"instance_status":2147483648}]}'
    pages["int64_overflow"] = b'{"total":18446744073709551616}'
    pages["negative_size"] = b'{"size":-1}'
    pages["root_array"] = b'[{"total":1}]'
    pages["deep_unknown"] = b'{"x":' + b'[' * 63 + b']' * 63 + b'}'
    pages["too_deep"] = b'{"x":' + b'[' * 64 + b']' * 64 + b'}'
    pages["bad_utf8"] = b'{"instances":[{"instance_name":"\xc3\x28"}]}'
    pages["trailing_data"] = b'{"total":1} {"total":2}'
    pages["lock_wrong_type"] = b'{"instances":[{"cbc_operation_locks":[{"lock_scene":7}]}]}'
    for i, (name, body) in enumerate(sorted(pages.items())):
        ctl = (i * 7919 + len(body) // 2) & 0xFFFF
        write(t, name, bytes([ctl & 0xFF, ctl >> 8]) + body)

    # ---- fuzz_error_body ---------------------------------------------------------------------
    t = "fuzz_error_body"
    statuses = {400: 0, 401: 1, 403: 2, 404: 3, 429: 7, 500: 8, 502: 9, 503: 10, 504: 11}

    def error_input(status, reason, body, request_id=b"", secret=b""):
        return (bytes([statuses[status], len(reason)]) + reason + len(request_id).to_bytes(2, "little") +
                request_id + bytes([len(secret)]) + secret + body)

    for k in ["400", "401", "403", "404", "500", "503"]:
        r = raw[k]
        status, reason = re.match(rb"HTTP/1.1 (\d+) ([^\r]*)", r).groups()
        rid = re.search(rb"X-Request-Id: ([^\r]*)", r).group(1)
        write(t, "emulator_" + k, error_input(int(status), reason, body_of(r), rid))
    write(t, "code_message", error_input(403, b"Forbidden",
          b'{"code":"APIG.0201","message":"Request body too large."}'))
    write(t, "numeric_code", error_input(429, b"Too Many Requests", b'{"code":429,"message":"Too many requests"}'))
    write(t, "float_code", error_input(500, b"", b'{"error_code":5.0e2,"error_msg":null}'))
    write(t, "html", error_input(502, b"Bad Gateway",
          b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
          b"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"))
    write(t, "empty", error_input(504, b"Gateway Time-out", b""))
    write(t, "echoed_token", error_input(401, b"Unauthorized MIIFakeT0ken-xyz+/=0123456789abcdef",
          b'{"error_code":"APIC.7102","error_msg":"token MIIFakeT0ken-xyz+/=0123456789abcdef is invalid"}',
          b"a1b2", b"s3cr3tAccessKeyValue"))
    write(t, "echoed_input_secret", error_input(401, b"Unauthorized",
          b'{"error_code":"s3cr3tAccessKeyValue","error_msg":"bad s3cr3tAccessKeyValue"}', b"", b"s3cr3tAccessKeyValue"))
    write(t, "control_chars", error_input(400, b"Bad\tRequest",
          b'{"error_code":"APIG.2012","error_msg":"line one\\r\\nline two\\u001b[31m red\\u0000"}'))
    long_msg = ("\u7f51\u5173\u5b9e\u4f8b\u4e0d\u5b58\u5728" * 40).encode()  # Chinese, > 512 bytes
    write(t, "long_chinese", error_input(404, b"Not Found",
          b'{"error_code":"APIG.3030","error_msg":"' + long_msg + b'"}'))
    write(t, "not_object", error_input(500, b"Internal Server Error", b'["error_code","APIC.9000"]'))
    write(t, "long_request_id", error_input(503, b"Service Unavailable", b"", b"r\te" * 100))

    # ---- regression inputs of fuzz_error_body (format changed: written here) ------------------
    reg = os.path.join(ROOT, "fuzz", "regressions", t)
    os.makedirs(reg, exist_ok=True)
    token = b"MIIFakeT0ken-xyz+/=0123456789abcdef"
    regressions = {
        "finding4-utf8-cut-at-512-bytes": error_input(404, b"Not Found",
                                                      b'{"error_code":"APIG.3030","error_msg":"' + long_msg + b'"}'),
        "finding5-secret-in-request-id": error_input(401, b"Unauthorized",
                                                     b'{"error_code":"APIC.7102","error_msg":"Incorrect token"}',
                                                     b"req-" + token + b"\tx"),
        "finding6-request-id-cut-through-secret": error_input(401, b"Unauthorized", b"", b"a" * 250 + token),
    }
    for name, data in regressions.items():
        with open(os.path.join(reg, name), "wb") as f:
            f.write(data)

    # ---- fuzz_response -------------------------------------------------------------------------
    t = "fuzz_response"
    for i, k in enumerate(sorted(raw)):
        write(t, "emulator_" + k, bytes([i * 37 & 0xFF, 0]) + raw[k])
    body2 = body_of(raw["page2"])
    write(t, "chunked_200", bytes([5, 0]) + response(200, b"OK", b"", length=False,
          headers=[b"Transfer-Encoding: chunked"]) + chunked(body2, [1, 100, 7, 300]))
    write(t, "chunked_ext_trailer", bytes([12, 0]) + response(200, b"OK", b"", length=False,
          headers=[b"Transfer-Encoding: chunked", b"Trailer: X-Checksum"]) +
          chunked(body2, [256], ext=b";name=value", trailer=b"X-Checksum: 1234\r\n"))
    write(t, "chunked_401", bytes([3, 0]) + response(401, b"Unauthorized", b"", length=False,
          headers=[b"Transfer-Encoding: chunked"]) + chunked(body_of(raw["401"]), [10, 50]))
    write(t, "until_eof", bytes([9, 0]) + response(200, b"OK", body2, length=False,
          headers=[b"Connection: close"]))
    keep = response(200, b"OK", body2, headers=[b"Connection: keep-alive"])
    write(t, "keep_alive_twice", bytes([13, 0]) + keep + keep)
    write(t, "keep_alive_then_500", bytes([15, 0]) + keep + raw["500"])
    write(t, "continue_then_200", bytes([8, 0]) + b"HTTP/1.1 100 Continue\r\n\r\n" +
          b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n" + raw["page2"])
    write(t, "switching_protocols", bytes([4, 0]) + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
    write(t, "gzip", bytes([11, 0]) + response(200, b"OK", b"\x1f\x8b\x08\x00\x00\x00\x00\x00", headers=[b"Content-Encoding: gzip"]))
    html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>upstream error</p></body></html>\n"
    write(t, "html_502", bytes([10, 0]) + response(502, b"Bad Gateway", html, content_type=b"text/html"))
    write(t, "html_200", bytes([14, 0]) + response(200, b"OK", html, content_type=b"text/html; charset=utf-8"))
    write(t, "empty_200", bytes([2, 0]) + response(200, b"OK", b""))
    write(t, "no_content_204", bytes([1, 0]) + response(204, b"No Content", b"", length=False))
    write(t, "redirect_301", bytes([6, 0]) + response(301, b"Moved Permanently", b"",
          headers=[b"Location: https://apig.cn-north-4.myhuaweicloud.com/v2/x/apigw/instances"]))
    write(t, "body_limit", bytes([7, 8]) + raw["page20"])  # 128-byte limit
    write(t, "http10", bytes([0, 0]) + b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body2)
    write(t, "obs_fold_request_id", bytes([16, 0]) + b"HTTP/1.1 500 Internal Server Error\r\nX-Request-Id: abc\r\n def\r\n"
          b"Content-Length: 2\r\n\r\n{}")


if __name__ == "__main__":
    main()

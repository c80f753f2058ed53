// NATS JetStream peer for bench/run.sh (cnats 3.4, Debian's libnats-dev). The same stream
// contents are consumed by Coyote (nats driver + PHP workers) and by P direct consumers here.
//   fill URL STREAM SUBJECT N          (re)create STREAM (file storage) holding N jobs in
//                                      RoadRunner's format (JSON, base64 payload of ~100 bytes)
//   direct URL STREAM SUBJECT N P B    P consumers (a thread and a connection each) share one
//                                      durable pull consumer, fetch batches of B, decode each job
//                                      as a worker would (JSON + base64) and ack it
//   watch URL STREAM CONSUMER N        wait for CONSUMER, then time its first delivery -> every
//                                      one of the N jobs acked (polls consumer info)
// `direct` and `watch` print one JSON line: {"stage":"nats","label":...,"jobs_per_s":...}.
#include <nats/nats.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char* what, natsStatus s) {
  fprintf(stderr, "nats_peer: %s: %s %s\n", what, natsStatus_GetText(s), nats_GetLastError(NULL));
  exit(1);
}

static const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_encode(const char* in, int n, char* out) {
  int o = 0;
  for (int i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
    if (i + 1 < n) v |= (uint32_t)(unsigned char)in[i + 1] << 8;
    if (i + 2 < n) v |= (uint32_t)(unsigned char)in[i + 2];
    out[o++] = kB64[(v >> 18) & 63];
    out[o++] = kB64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? kB64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? kB64[v & 63] : '=';
  }
  out[o] = '\0';
  return o;
}

static int b64_decode(const char* in, int n, char* out) {
  int o = 0, have = 0;
  uint32_t acc = 0;
  for (int i = 0; i < n && in[i] != '='; i++) {
    const char* p = strchr(kB64, in[i]);
    if (p == NULL || *p == '\0') return -1;
    acc = (acc << 6) | (uint32_t)(p - kB64);
    if (++have == 4) {
      out[o++] = (char)(acc >> 16);
      out[o++] = (char)(acc >> 8);
      out[o++] = (char)acc;
      acc = 0;
      have = 0;
    }
  }
  if (have == 2) out[o++] = (char)(acc >> 4);
  if (have == 3) {
    out[o++] = (char)(acc >> 10);
    out[o++] = (char)(acc >> 2);
  }
  return o;
}

static natsConnection* connect_to(const char* url) {
  natsConnection* nc = NULL;
  natsStatus s = natsConnection_ConnectTo(&nc, url);
  if (s != NATS_OK) die("connect", s);
  return nc;
}

static int fill(const char* url, const char* stream, const char* subject, int n) {
  natsConnection* nc = connect_to(url);
  jsCtx* js = NULL;
  jsErrCode jerr = 0;
  natsStatus s = natsConnection_JetStream(&js, nc, NULL);
  if (s != NATS_OK) die("jetstream", s);
  js_DeleteStream(js, stream, NULL, &jerr);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {subject};
  sc.Name = stream;
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  s = js_AddStream(NULL, js, &sc, NULL, &jerr);
  if (s != NATS_OK) die("add stream", s);
  char payload[128], b64[192], body[512];
  for (int i = 0; i < n; i++) {
    // The ~100-byte JSON payload every system in the benchmark carries (peer_run.php).
    int len = snprintf(payload, sizeof payload, "{\"n\":%d,\"pad\":\"", i);
    while (len < 98) payload[len++] = 'x';
    payload[len++] = '"';
    payload[len++] = '}';
    b64_encode(payload, len, b64);
    int blen = snprintf(body, sizeof body,
                        "{\"job\":\"App\\\\Job\\\\Noop\",\"id\":\"00000000-0000-4000-8000-%012d\","
                        "\"payload\":\"%s\",\"options\":{\"priority\":10,\"auto_ack\":false,"
                        "\"Queue\":\"\"}}",
                        i, b64);
    s = js_PublishAsync(js, subject, body, blen, NULL);
    if (s != NATS_OK) die("publish", s);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  s = js_PublishAsyncComplete(js, &po);
  if (s != NATS_OK) die("publish acks", s);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return 0;
}

struct worker_arg {
  const char* url;
  const char* stream;
  const char* subject;
  int batch;
  int target;
  volatile int* stop;
  int done;
  double last;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_total = 0;

static void* consume(void* p) {
  struct worker_arg* a = p;
  natsConnection* nc = connect_to(a->url);
  jsCtx* js = NULL;
  natsConnection_JetStream(&js, nc, NULL);
  natsSubscription* sub = NULL;
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = a->stream;
  so.Consumer = "direct";
  jsErrCode jerr = 0;
  natsStatus s = js_PullSubscribe(&sub, js, a->subject, "direct", NULL, &so, &jerr);
  if (s != NATS_OK) die("pull subscribe", s);
  char decoded[512];
  while (!*a->stop) {
    natsMsgList list;
    s = natsSubscription_Fetch(&list, sub, a->batch, 200, &jerr);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) die("fetch", s);
    for (int i = 0; i < list.Count; i++) {
      // A worker decodes its job: find the payload and base64-decode it.
      const char* data = natsMsg_GetData(list.Msgs[i]);
      const char* p = strstr(data, "\"payload\":\"");
      if (p != NULL) {
        p += 11;
        const char* end = strchr(p, '"');
        if (end != NULL && end - p < 600) b64_decode(p, (int)(end - p), decoded);
      }
      natsMsg_Ack(list.Msgs[i], NULL);
      a->done++;
    }
    natsMsgList_Destroy(&list);
    pthread_mutex_lock(&g_mu);
    g_total += list.Count;
    if (g_total >= a->target) *a->stop = 1;
    pthread_mutex_unlock(&g_mu);
    a->last = now_s();
  }
  natsConnection_Flush(nc);
  natsSubscription_Destroy(sub);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return NULL;
}

static int watch(const char* url, const char* stream, const char* consumer, int n,
                 const char* label, int workers, const char* version) {
  natsConnection* nc = connect_to(url);
  jsCtx* js = NULL;
  natsConnection_JetStream(&js, nc, NULL);
  jsErrCode jerr = 0;
  double t0 = 0, deadline = now_s() + 600;
  for (;;) {
    jsConsumerInfo* ci = NULL;
    natsStatus s = js_GetConsumerInfo(&ci, js, stream, consumer, NULL, &jerr);
    double t = now_s();
    if (t > deadline) die("watch: no drain within 600s", NATS_TIMEOUT);
    if (s == NATS_OK) {
      if (t0 == 0 && ci->Delivered.Stream > 0) t0 = t;
      int drained = ci->AckFloor.Stream >= (uint64_t)n && ci->NumAckPending == 0 &&
                    ci->NumPending == 0;
      jsConsumerInfo_Destroy(ci);
      if (drained && t0 > 0) {
        double secs = t - t0;
        printf("{\"stage\":\"nats\",\"label\":\"%s\",\"version\":\"%s\",\"workers\":%d,"
               "\"jobs\":%d,\"seconds\":%.6f,\"jobs_per_s\":%.1f}\n",
               label, version, workers, n, secs, n / secs);
        break;
      }
    }
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 6 && strcmp(argv[1], "fill") == 0) return fill(argv[2], argv[3], argv[4], atoi(argv[5]));
  if (argc >= 9 && strcmp(argv[1], "watch") == 0) {
    return watch(argv[2], argv[3], argv[4], atoi(argv[5]), argv[6], atoi(argv[7]), argv[8]);
  }
  if (argc >= 9 && strcmp(argv[1], "direct") == 0) {
    const char* url = argv[2];
    const char* stream = argv[3];
    const char* subject = argv[4];
    int n = atoi(argv[5]), p = atoi(argv[6]), batch = atoi(argv[7]);
    natsConnection* nc = connect_to(url);
    jsCtx* js = NULL;
    natsConnection_JetStream(&js, nc, NULL);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "direct";
    cc.AckPolicy = js_AckExplicit;
    cc.MaxAckPending = 1000000;
    cc.FilterSubject = subject;
    jsErrCode jerr = 0;
    natsStatus s = js_AddConsumer(NULL, js, stream, &cc, NULL, &jerr);
    if (s != NATS_OK) die("add consumer", s);
    volatile int stop = 0;
    struct worker_arg args[64];
    pthread_t threads[64];
    if (p > 64) p = 64;
    for (int i = 0; i < p; i++) {
      args[i] = (struct worker_arg){url, stream, subject, batch, n, &stop, 0, 0};
      pthread_create(&threads[i], NULL, consume, &args[i]);
    }
    // Timed by the same consumer-info poll as Coyote's run.
    char label[64];
    snprintf(label, sizeof label, "direct (batch %d)", batch);
    int rc = watch(url, stream, "direct", n, label, p, argv[8]);
    stop = 1;
    for (int i = 0; i < p; i++) pthread_join(threads[i], NULL);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
  }
  fprintf(stderr,
          "usage: nats_peer fill URL STREAM SUBJECT N | direct URL STREAM SUBJECT N P BATCH VERSION "
          "| watch URL STREAM CONSUMER N LABEL WORKERS VERSION\n");
  return 2;
}

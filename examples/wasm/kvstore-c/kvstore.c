/* A key-value store kept in linear memory, driven by a ledger: accounts (keys "acct-NNNNN") are opened,
 * closed, and money moves between them, STEPS times OPS operations drawn from a fixed pseudo-random
 * stream. The store is an open-addressing hash table with tombstones; nothing is ever saved to a file,
 * because under Phantom the memory itself persists: after kill -9 the world resumes mid-operation
 * (README.md). After every step the program checks the ledger's invariant (money is neither created nor
 * lost) and prints a progress line with a digest of the whole table.
 * Usage: kvstore [STEPS [OPS]]   (default 40 steps of 20000 operations)
 * Fixed-width types only: the wasm32 build and a native build print the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KEY_MAX = 16, SLOTS = 1 << 16, ACCOUNTS = 40000 };

/* One slot. An empty slot has used == 0; a deleted one (a tombstone) keeps probing chains intact. */
struct slot {
  char key[KEY_MAX];
  int64_t value;
  uint8_t used, deleted;
};

static struct slot table[SLOTS];
static uint32_t live, tombstones;

static uint32_t hash(const char* key) {  /* FNV-1a */
  uint32_t h = 2166136261u;
  for (; *key; ++key) h = (h ^ (uint8_t)*key) * 16777619u;
  return h;
}

/* The slot holding `key`, or, when absent, the slot where it would go (the first tombstone on its
 * chain, else the empty slot that ended the search). */
static struct slot* find(const char* key) {
  struct slot* reuse = NULL;
  for (uint32_t i = hash(key) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
    struct slot* s = &table[i];
    if (!s->used) return reuse ? reuse : s;
    if (s->deleted) {
      if (!reuse) reuse = s;
    } else if (strcmp(s->key, key) == 0) {
      return s;
    }
  }
}

static int kv_get(const char* key, int64_t* value) {
  struct slot* s = find(key);
  if (!s->used || s->deleted) return 0;
  *value = s->value;
  return 1;
}

static void kv_put(const char* key, int64_t value) {
  struct slot* s = find(key);
  if (!s->used || s->deleted) {
    if (s->deleted) --tombstones;
    s->used = 1;
    s->deleted = 0;
    strncpy(s->key, key, KEY_MAX - 1);
    ++live;
  }
  s->value = value;
}

static int kv_delete(const char* key) {
  struct slot* s = find(key);
  if (!s->used || s->deleted) return 0;
  s->deleted = 1;
  --live;
  ++tombstones;
  return 1;
}

/* Rebuilds the table without tombstones once they slow probing down. */
static struct slot scratch[SLOTS];
static void kv_compact(void) {
  memcpy(scratch, table, sizeof table);
  memset(table, 0, sizeof table);
  live = tombstones = 0;
  for (uint32_t i = 0; i < SLOTS; ++i)
    if (scratch[i].used && !scratch[i].deleted) kv_put(scratch[i].key, scratch[i].value);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next_random(void) {  /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static void account_key(uint32_t n, char key[KEY_MAX]) { snprintf(key, KEY_MAX, "acct-%05u", (unsigned)n); }

/* One ledger operation. The bank's reserve ("reserve") funds new accounts and takes in closed ones, so
 * the sum over all keys stays at the initial reserve. */
static void ledger_operation(uint64_t* opened, uint64_t* closed, uint64_t* transfers) {
  char a[KEY_MAX], b[KEY_MAX];
  uint32_t r = next_random();
  int64_t reserve = 0, va, vb;
  kv_get("reserve", &reserve);
  account_key(next_random() % ACCOUNTS, a);
  if (r % 16 == 0) {  /* open an account with 1000, or close it into the reserve */
    if (kv_get(a, &va)) {
      kv_delete(a);
      kv_put("reserve", reserve + va);
      ++*closed;
    } else {
      kv_put(a, 1000);
      kv_put("reserve", reserve - 1000);
      ++*opened;
    }
    return;
  }
  account_key(next_random() % ACCOUNTS, b);
  if (strcmp(a, b) != 0 && kv_get(a, &va) && kv_get(b, &vb) && va > 0) {
    int64_t amount = 1 + (int64_t)(next_random() % (uint32_t)va);
    kv_put(a, va - amount);
    kv_put(b, vb + amount);
    ++*transfers;
  }
}

/* The sum of every value, the richest account, and an FNV-1a digest of the table in slot order. */
static void summarize(int64_t* sum, char richest[KEY_MAX], int64_t* most, uint64_t* digest) {
  *sum = 0;
  *most = -1;
  *digest = 1469598103934665603ull;
  for (uint32_t i = 0; i < SLOTS; ++i) {
    const struct slot* s = &table[i];
    if (!s->used || s->deleted) continue;
    *sum += s->value;
    if (strcmp(s->key, "reserve") != 0 && s->value > *most) {
      *most = s->value;
      memcpy(richest, s->key, KEY_MAX);
    }
    for (const char* c = s->key; *c; ++c) *digest = (*digest ^ (uint8_t)*c) * 1099511628211ull;
    *digest = (*digest ^ (uint64_t)s->value) * 1099511628211ull;
  }
}

int main(int argc, char** argv) {
  const int steps = argc > 1 ? atoi(argv[1]) : 40;
  const int ops = argc > 2 ? atoi(argv[2]) : 20000;
  const int64_t funds = 1000000000;
  uint64_t opened = 0, closed = 0, transfers = 0, digest = 0;
  int64_t sum = 0, most = 0;
  char richest[KEY_MAX] = "";
  kv_put("reserve", funds);
  for (int step = 1; step <= steps; ++step) {
    for (int i = 0; i < ops; ++i) {
      ledger_operation(&opened, &closed, &transfers);
      if (tombstones > SLOTS / 4) kv_compact();
    }
    summarize(&sum, richest, &most, &digest);
    if (sum != funds) {
      printf("step %d: the ledger lost money: %lld\n", step, (long long)sum);
      return 1;
    }
    printf("step %d of %d: %u accounts, %llu transfers, digest %016llx\n", step, steps, (unsigned)(live - 1),
           (unsigned long long)transfers, (unsigned long long)digest);
    fflush(stdout);
  }
  printf("result: %u accounts (%llu opened, %llu closed), %llu transfers, richest %s with %lld, digest %016llx\n",
         (unsigned)(live - 1), (unsigned long long)opened, (unsigned long long)closed, (unsigned long long)transfers,
         richest, (long long)most, (unsigned long long)digest);
  return 0;
}

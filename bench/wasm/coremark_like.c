// wasm.coremark_like: a mix in the spirit of CoreMark (our own code, not its source): per iteration a
// linked list is searched, reversed and insertion-sorted, a small integer matrix is multiplied and
// reduced, a byte string is run through a number-scanning state machine, and every partial result is
// folded into a CRC-16. Pointer chasing, branches, 16-bit arithmetic and a switch, in one loop.
#include <stdint.h>

enum { list_nodes = 64, matrix_n = 12, text_bytes = 96 };

struct Node {
  struct Node* next;
  int16_t value;
  uint16_t index;
};
static struct Node pool[list_nodes];
static int16_t ma[matrix_n * matrix_n], mb[matrix_n * matrix_n];
static int32_t mc[matrix_n * matrix_n];
static char text[text_bytes];

static uint16_t crc16(uint16_t crc, uint32_t value) {
  for (int bit = 0; bit < 32; ++bit) {
    uint16_t mix = (uint16_t)((crc ^ (value >> bit)) & 1);
    crc >>= 1;
    if (mix) crc ^= 0xa001;
  }
  return crc;
}

static struct Node* reverse(struct Node* list) {
  struct Node* out = 0;
  while (list) {
    struct Node* next = list->next;
    list->next = out;
    out = list;
    list = next;
  }
  return out;
}

static struct Node* sort_by_value(struct Node* list) {
  struct Node* sorted = 0;
  while (list) {
    struct Node* node = list;
    list = list->next;
    struct Node** at = &sorted;
    while (*at && (*at)->value < node->value) at = &(*at)->next;
    node->next = *at;
    *at = node;
  }
  return sorted;
}

static uint32_t list_step(struct Node** head, int16_t key) {
  uint32_t found = 0;
  for (struct Node* n = *head; n; n = n->next)
    if (n->value == key) found += n->index;
  *head = reverse(*head);
  for (struct Node* n = *head; n; n = n->next) n->value = (int16_t)(n->value * 5 + key);
  *head = sort_by_value(*head);
  return found + (uint16_t)(*head)->value;
}

static uint32_t matrix_step(int16_t add) {
  for (int i = 0; i < matrix_n * matrix_n; ++i) ma[i] = (int16_t)(ma[i] + add);
  uint32_t sum = 0;
  for (int i = 0; i < matrix_n; ++i)
    for (int j = 0; j < matrix_n; ++j) {
      int32_t s = 0;
      for (int k = 0; k < matrix_n; ++k) s += ma[i * matrix_n + k] * mb[k * matrix_n + j];
      mc[i * matrix_n + j] = s;
      sum += (uint32_t)(s >> 2) & 0xff;
    }
  return sum;
}

// Counts the integers, decimals and malformed tokens of `text` (tokens end at ','), returning them
// packed with the number of state changes.
static uint32_t scan_step(void) {
  enum { start, integer, decimal, bad } state = start;
  uint32_t integers = 0, decimals = 0, bads = 0, changes = 0;
  for (int i = 0; i < text_bytes; ++i) {
    char ch = text[i];
    int old = state;
    if (ch == ',') {
      if (state == integer) ++integers;
      else if (state == decimal) ++decimals;
      else if (state == bad) ++bads;
      state = start;
    } else {
      switch (state) {
        case start: state = (ch >= '0' && ch <= '9') || ch == '-' ? integer : bad; break;
        case integer: state = ch == '.' ? decimal : ch >= '0' && ch <= '9' ? integer : bad; break;
        case decimal: state = ch >= '0' && ch <= '9' ? decimal : bad; break;
        case bad: break;
      }
    }
    changes += state != old;
  }
  return integers | decimals << 8 | bads << 16 | changes << 24;
}

uint32_t run(uint32_t n) {
  static const char alphabet[] = "0123456789.-,x";
  for (int i = 0; i < list_nodes; ++i) {
    pool[i].next = i + 1 < list_nodes ? &pool[i + 1] : 0;
    pool[i].value = (int16_t)((i * 37) % 101);
    pool[i].index = (uint16_t)i;
  }
  for (int i = 0; i < matrix_n * matrix_n; ++i) {
    ma[i] = (int16_t)(i % 17 - 8);
    mb[i] = (int16_t)(i % 13 - 6);
  }
  struct Node* head = &pool[0];
  uint16_t crc = 0;
  for (uint32_t iteration = 0; iteration < n; ++iteration) {
    for (int i = 0; i < text_bytes; ++i) text[i] = alphabet[(i * 7 + iteration) % 14];
    crc = crc16(crc, list_step(&head, (int16_t)(crc & 0x3f)));
    crc = crc16(crc, matrix_step((int16_t)(iteration & 3) - 1));
    crc = crc16(crc, scan_step());
  }
  return crc;
}

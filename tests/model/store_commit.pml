/*
 * store_commit.pml: the world image's commit and recovery protocol, for spin (issue 15).
 * Checked by tests/model/check_store_model.sh; explained, with a table of model part -> code, in
 * docs/verification.md.
 *
 * What is modelled, and the code each part mirrors:
 *   - The disk (host/block_device.h): NB data blocks, numbered from FIRST = 2 as in image_format.h, and
 *     the two commit slots (blocks 0 and 1). A write goes to a volatile cache; flush() makes every
 *     earlier write durable. At a crash each unflushed write independently lands, is lost or is torn, so
 *     any subset lands, in any order (a data block's lost write counts as torn: see crash). A torn
 *     block fails every checksum. Nothing durable changes by itself (no bit rot).
 *   - What the checksums bind: a data block holds (page, version); a tree node holds the id of the op
 *     that wrote it, and its entries are the ghost arrays gb/gv under that id (an id names one content).
 *     A reference matches a block only when the block holds exactly that content (Image::read_node,
 *     Image::verify_page). The arena has NPAGE = 2 pages, so the tree is one leaf, the root.
 *   - create:   Store::create (store.cc): both slots written empty (generations 0 and 1), one flush.
 *   - commit:   Store::run_snapshot and Store::commit (snapshot_cycle.cc). The world has written any
 *               subset of the pages. The cleaner's plan (plan_cleaning in cleaner.cc, made after the
 *               previous commit of this process) copies any other pages in use forward, or only the
 *               root. Each page (write_pages), then the root (write_dirty_nodes), goes to a free block
 *               (Store::allocate). Flush (rule 2). The record of generation newest + 1, retention K,
 *               to slot generation % 2 (Image::write_commit_record). Flush (rule 4): only now is the
 *               snapshot acknowledged. Then Store::update_free_map (rule 5), both its incremental path
 *               and its rebuild path. Or a one-flush commit (report.one_flush in Store::commit): no
 *               flush before the record, which carries the verify bit (incompat_verify_newest); the
 *               one flush after it acknowledges. Any commit for which ONE_FLUSH_OK holds may be either
 *               kind (the code's size limit is not modelled): its record must also name the snapshot
 *               it extends (record_ names one, retention >= 2); docs/verification.md says why.
 *   - rollback: rollback() in world_info.cc, on a closed world: read the slots, verify the chosen
 *               snapshot, rewrite_both_slots (record_rewrite.cc) with the list cut after it
 *               (truncated_to); then the world is opened again.
 *   - open:     Store::open (store.cc). Image::read_slots (image.cc) takes the valid slot with the higher
 *               generation, and the other only at generation - 1. Store::restore takes the newest
 *               snapshot that verifies (tree and every page: eager restore), from the current record,
 *               then from what only the previous record names. If the current record has the verify
 *               bit, its newest snapshot is first checked by Store::verify_newest_changes: every
 *               block whose reference differs from the other slot's newest snapshot (every block, if
 *               that slot holds no valid record) must hold what the reference names, or the snapshot
 *               is skipped as damaged. Store::recover_if_needed rewrites both slots (never with the
 *               verify bit) when a slot is unusable or a snapshot was skipped. Store::rebuild_free_map.
 *   - A crash may come after every write and every flush of create, commit, rollback and recovery, at
 *     most MAXCRASH times in a run. The process's memory is lost, and the world is opened again.
 *
 * Invariants (assertions; each failing one first prints "I<n> violated" in a guided replay):
 *   I1  Open restores exactly the last acknowledged state or the one in flight at the crash: the same
 *       sequence number and the same version of every page. Never older, never a mix. Once create has
 *       returned, open never fails.
 *   I2  At every open, every snapshot that a record accepted by read_slots names is intact: rule 2 as
 *       seen on the disk, what fsck checks. Except the newest snapshot of a record with the verify bit,
 *       and only if its commit was never acknowledged (ghost akid); if that record is the current one,
 *       verify_newest rejects the damaged snapshot. Restore never skips any other snapshot.
 *   I3  No block reachable from a retained snapshot is ever overwritten: a block written is reached by
 *       no valid record in either slot, durable or still in the cache (rule 1). The one snapshot I2
 *       excuses is not retained: a crash during the recovery that skipped it can leave its record in
 *       the other slot, and if its root was lost, rebuild_free_map cannot protect the pages it names.
 *   I4  A commit record never overwrites the newest durable record (rule 3).
 *
 * Mutants (spin -DMUTANT_...), each of which must give a counterexample:
 *   MUTANT_NO_FLUSH     Store::commit without the flush between the pages and nodes and the commit record.
 *   MUTANT_EARLY_FREE   Store::update_free_map takes `lowest` from the record just written only, so the
 *                       blocks that only the other slot's record still reaches are freed and reused.
 *   MUTANT_NO_VERIFY    Store::restore takes the newest snapshot of a record with the verify bit without
 *                       Store::verify_newest_changes (MUTANT_NO_FLUSH removes the rule-2 flush of the
 *                       two-flush commit, whose record has no verify bit, so open trusts it).
 *
 * Bounds: NOPS commits and rollbacks after create, MAXCRASH crashes, retention K (the test runs K = 2
 * and K = 1; with K = 1 blocks freed by the incremental free map are reused within 4 ops). -DTWO_FLUSH:
 * every commit flushes twice; -DONE_FLUSH: every commit that may flush once does. The test runs K = 2
 * with TWO_FLUSH and NOPS = 4, and K = 2 with both kinds and NOPS = 3: both kinds with NOPS = 4 pass
 * too, but take 37 M states and 5.5 GB. (With K = 1 no commit may flush once.)
 * Simplified: one free block is chosen, the lowest (the real allocator fills 1 MiB segments in order;
 * which free block is used does not matter to the rules, and the lowest reuses a freed block soonest;
 * trying every free block did not fit in 4 GB even for 2 ops). At a crash, blocks that no valid record
 * reaches are zeroed (they are free, and are written before anything names them again), and so at the
 * end of open.
 * Not modelled: page contents beyond their version, deeper trees, objects and the collector, threads
 * inside the process (pre-copy, write-back and the background flush only write before the first flush,
 * which the cache already covers), I/O errors and the failed state, bit rot, lazy restore, fsck --repair,
 * growing the image, several devices, a process killed without a power loss (its writes stay in the
 * page cache: the flush in Store::open after a verify-bit record and the one rewrite_both_slots begins
 * with are for that), the one-flush commit's size limit and the event log.
 */

#ifndef K
#define K 2              /* retention: snapshots a commit keeps (CommitRecord::retention) */
#endif
#ifndef NOPS
#define NOPS 4           /* commits and rollbacks after create */
#endif
#ifndef MAXCRASH
#define MAXCRASH 2       /* crashes per run */
#endif
#ifndef NB
#define NB (3 * (K + 2)) /* data blocks: K + 1 retained snapshots and 1 in flight, 3 blocks each */
#endif
#define NPAGE 2          /* arena pages: one leaf node (the root) with two entries */
#define FIRST 2          /* first_data_block: blocks 0 and 1 are the commit slots */
#define NBLK (FIRST + NB) /* at most 31: block masks are ints */
#define MAXSEQ (NOPS + 1)
#define NID (NOPS + 1)   /* node ids: the op that wrote the node, 1..NOPS */

/* What a data block holds (dc, pc): one byte. */
#define ZERO 0           /* zeros, or contents no reference will ever name again; in pc: nothing pending */
#define TORN 1           /* a torn write: matches no reference */
#define NODEC(id) (2 + (id))                         /* a tree node: the id of the op that wrote it */
#define DATAC(p, v) (2 + NID + (v) * NPAGE + (p))    /* arena page p at version v */

/* What a commit slot holds (Rec.st). */
#define EMPTY 0          /* zeros: never written */
#define RTORN 1          /* a torn record: its checksum fails */
#define VALID 2

#define BIT(x) ((x) > 0 -> (1 << (x)) : 0)

/* A commit may flush once only if its record also names the snapshot it extends (record_ names one,
   and retention is at least 2): a damaged newest snapshot is then skipped to one the same record
   names, which the recovery's first write (to the other slot) cannot take away. */
#ifdef TWO_FLUSH
#define ONE_FLUSH_OK false
#else
#define ONE_FLUSH_OK (rec.n > 0 && K >= 2)
#endif
#ifdef ONE_FLUSH
#define TWO_FLUSH_OK (!(ONE_FLUSH_OK))   /* every commit that may flush once does */
#else
#define TWO_FLUSH_OK true
#endif

typedef Rec {
  byte st;
  byte gen;            /* generation */
  byte next;           /* next snapshot sequence number */
  byte n;              /* snapshot count */
  bool v;              /* incompat_verify_newest: written by a one-flush commit */
  byte seq[K];         /* snapshot entries, oldest first: sequence number, */
  byte rb[K];          /* root node block (0: every page zero), */
  byte rid[K]          /* root node checksum: the id of the node's content */
}

/* ---- the disk ---- */
byte dc[NBLK];                       /* durable contents */
byte pc[NBLK];                       /* the last unflushed write (ZERO: none) */
Rec sd[2];                           /* durable commit slots */
Rec sp[2];                           /* unflushed record writes, if spd */
bool spd[2];

/* ---- the store process (Store's members), lost at a crash ---- */
Rec rec;                             /* record_: what the next commit extends */
Rec ondisk[2];                       /* on_disk_: what each slot holds */
byte tb[NPAGE], tv[NPAGE];           /* table_: page -> block, and the version that block holds */
byte trb, trid;                      /* table_.root() */
int used;                            /* allocator_: bit b set = block b in use */
int superseding;                     /* superseding_ */
int sup[MAXSEQ + 1];                 /* superseded_: seq -> blocks it replaced */
int chere;                           /* committed_here_: bit seq */
bool incr;                           /* incremental_free_map_ */
bool cleanable;                      /* cleaning_ may be set: a commit of this process came before */

/* ---- ghosts ---- */
byte ops, crashes;
bool ak_ok;                          /* something is acknowledged (create returned) */
int akid;                            /* bit id: the commit that wrote root node id was acknowledged */
byte ak_s, ak_v[NPAGE];              /* the acknowledged state: seq and page versions */
bool if_ok;                          /* a state is in flight */
byte if_s, if_v[NPAGE];
byte gb[NID * NPAGE], gv[NID * NPAGE];  /* node id -> its entries: block and version of each page */

/* ---- scratch (reset after use, so that it does not split states) ---- */
byte i, j, b, s, t, w, c, seq, lowest, cur, prv, hold, ri, gen, skipped, nslot, orb, orid;
bool ok, allhere, havecur, haveprv, found, nodeclean, one, damaged;
int m;
Rec nx;

inline rec_zero(R) {
  R.st = 0; R.gen = 0; R.next = 0; R.n = 0; R.v = false;
  for (j : 0 .. K - 1) { R.seq[j] = 0; R.rb[j] = 0; R.rid[j] = 0 }
  j = 0
}

inline rec_copy(D, S) {
  D.st = S.st; D.gen = S.gen; D.next = S.next; D.n = S.n; D.v = S.v;
  for (j : 0 .. K - 1) { D.seq[j] = S.seq[j]; D.rb[j] = S.rb[j]; D.rid[j] = S.rid[j] }
  j = 0
}

/* truncated_to (record_rewrite.cc): keep the entries up to sequence number SQ. */
inline rec_truncate(R, SQ) {
  t = 0;
  for (j : 0 .. K - 1) {
    if
    :: j < R.n && R.seq[j] <= SQ -> t = j + 1
    :: else -> R.seq[j] = 0; R.rb[j] = 0; R.rid[j] = 0
    fi
  }
  R.n = t; t = 0; j = 0
}

/* The blocks a snapshot entry reaches: the root and the pages it names (PageTable::collect_blocks). */
#define REACH(RB, RID) (BIT(RB) | ((RB) != 0 -> (BIT(gb[(RID) * NPAGE]) | BIT(gb[(RID) * NPAGE + 1])) : 0))

inline rec_reach(R) {  /* m |= what record R reaches */
  for (i : 0 .. K - 1) {
    if
    :: i < R.n -> m = m | REACH(R.rb[i], R.rid[i])
    :: else -> skip
    fi
  }
  i = 0
}

/* PageTable::load (Image::read_node): the root node verifies. Sets ok. */
inline node_ok(RB, RID) {
  ok = ((RB) == 0 || dc[RB] == NODEC(RID))
}

/* The whole snapshot verifies: the tree and every page (Store::restore with fill_eagerly). Sets ok. */
inline snap_intact(RB, RID) {
  node_ok(RB, RID);
  if
  :: ok && (RB) != 0 ->
     for (j : 0 .. NPAGE - 1) {
       t = gb[(RID) * NPAGE + j];
       if
       :: t != 0 -> ok = ok && dc[t] == DATAC(j, gv[(RID) * NPAGE + j])
       :: else -> skip
       fi
     }
  :: else -> skip
  fi;
  j = 0; t = 0
}

/* Store::verify_newest_changes (store.cc), for the newest snapshot (RB, RID) of a record with the
   verify bit: every block of it whose reference differs from the one in the other slot's newest
   snapshot (ORB, ORID; 0, 0 when that slot holds no valid record or no snapshot: then every block)
   must hold exactly the referenced content. The blocks it shares with that snapshot are not read:
   they were durable before the one-flush commit began. Sets ok. */
inline verify_newest(RB, RID, ORB, ORID) {
#ifdef MUTANT_NO_VERIFY
  ok = true
#else
  ok = true;
  if
  :: (RB) != (ORB) || (RID) != (ORID) ->
     node_ok(RB, RID);
     if
     :: ok && (RB) != 0 ->
        for (j : 0 .. NPAGE - 1) {
          t = gb[(RID) * NPAGE + j];
          if
          :: t != 0 && (t != gb[(ORID) * NPAGE + j] || gv[(RID) * NPAGE + j] != gv[(ORID) * NPAGE + j]) ->
             ok = ok && dc[t] == DATAC(j, gv[(RID) * NPAGE + j])
          :: else -> skip
          fi
        }
     :: else -> skip
     fi
  :: else -> skip
  fi;
  j = 0; t = 0
#endif
}

/* The other slot's newest snapshot, the reference verify_newest compares with: sets orb, orid. */
inline other_newest(O) {
  orb = 0; orid = 0;
  if
  :: sd[O].st == VALID && sd[O].n > 0 -> orb = sd[O].rb[sd[O].n - 1]; orid = sd[O].rid[sd[O].n - 1]
  :: else -> skip
  fi
}

/* m |= what durable record R reaches, leaving out the one snapshot I2 lets be damaged: the newest of a
   record with the verify bit, damaged, its commit never acknowledged. Restore never takes it, and
   rebuild_free_map cannot protect what a lost node named. */
inline rec_reach_kept(R) {
  for (i : 0 .. K - 1) {
    if
    :: i < R.n ->
       if
       :: R.v && i + 1 == R.n && (akid & BIT(R.rid[i])) == 0 ->
          snap_intact(R.rb[i], R.rid[i]);
          if
          :: ok -> m = m | REACH(R.rb[i], R.rid[i])
          :: else -> skip
          fi;
          ok = false
       :: else -> m = m | REACH(R.rb[i], R.rid[i])
       fi
    :: else -> skip
    fi
  }
  i = 0
}

/* BlockDevice::write of one block, into the cache. I3 (rule 1) first: no valid record in either slot,
   durable or in the cache, reaches block B (except I2's damaged snapshot, see rec_reach_kept). */
inline write_block(B, CONTENT) {
  m = 0;
  for (s : 0 .. 1) {
    if
    :: sd[s].st == VALID -> rec_reach_kept(sd[s])
    :: else -> skip
    fi;
    if
    :: spd[s] && sp[s].st == VALID -> rec_reach(sp[s])
    :: else -> skip
    fi
  }
  s = 0;
  if
  :: (m & BIT(B)) != 0 -> printf("MSC: I3 violated: block %d is reached by a retained snapshot\n", B)
  :: else -> skip
  fi;
  assert((m & BIT(B)) == 0);
  m = 0;
  pc[B] = CONTENT;
  printf("MSC: write block %d: content %d\n", B, CONTENT)
}

/* Image::write_commit_record: record R to slot R.gen % 2, into the cache. */
inline write_record(R) {
  s = R.gen % 2;
  /* I4 (rule 3): the newest durable record is never overwritten. */
  if
  :: sd[s].st == VALID && (sd[1 - s].st != VALID || sd[s].gen > sd[1 - s].gen) ->
     printf("MSC: I4 violated: slot %d holds the newest durable record\n", s)
  :: else -> skip
  fi;
  assert(!(sd[s].st == VALID && (sd[1 - s].st != VALID || sd[s].gen > sd[1 - s].gen)));
  rec_copy(sp[s], R);
  spd[s] = true;
  printf("MSC: write slot %d: generation %d, %d snapshots, newest %d, verify bit %d\n", s, R.gen, R.n,
         (R.n > 0 -> R.seq[R.n - 1] : 0), R.v);
  s = 0
}

/* BlockDevice::flush: every earlier write is durable. */
inline flush() {
  printf("MSC: flush\n");
  for (i : FIRST .. NBLK - 1) {
    if
    :: pc[i] != ZERO -> dc[i] = pc[i]; pc[i] = ZERO
    :: else -> skip
    fi
  }
  for (i : 0 .. 1) {
    if
    :: spd[i] -> rec_copy(sd[i], sp[i]); spd[i] = false; rec_zero(sp[i])
    :: else -> skip
    fi
  }
  i = 0
}

/* A crash may happen here. */
inline CP() {
  if
  :: crashes < MAXCRASH -> goto crash
  :: true
  fi
}

/* Store::allocate / BlockAllocator::allocate: the lowest free block (sets b, marks it used). */
inline alloc() {
  b = FIRST;
  do
  :: b < NBLK && (used & BIT(b)) != 0 -> b++
  :: else -> break
  od;
  assert(b < NBLK);  /* the model's disk is big enough */
  used = used | BIT(b)
}

/* Blocks that no valid record reaches are set to ZERO, unflushed writes to them dropped, and the ghost
   contents of nodes no valid record names forgotten: they are free, and are written before anything
   names them again. Called where the process's memory is gone (a crash) or holds nothing more than
   the records do (the end of open). */
inline forget_unreached() {
    m = 0;
    for (s : 0 .. 1) {
      if
      :: sd[s].st == VALID -> rec_reach(sd[s])
      :: else -> skip
      fi
    }
    s = 0;
    for (b : FIRST .. NBLK - 1) {
      if
      :: (m & BIT(b)) == 0 -> dc[b] = ZERO; pc[b] = ZERO
      :: else -> skip
      fi
    }
    /* the same for the ghost contents of nodes no valid record names */
    for (t : 1 .. NID - 1) {
      ok = false;
      for (s : 0 .. 1) {
        for (j : 0 .. K - 1) {
          if
          :: sd[s].st == VALID && j < sd[s].n && sd[s].rid[j] == t -> ok = true
          :: else -> skip
          fi
        }
      }
      if
      :: !ok -> gb[t * NPAGE] = 0; gv[t * NPAGE] = 0; gb[t * NPAGE + 1] = 0; gv[t * NPAGE + 1] = 0;
         akid = akid & ~BIT(t)
      :: else -> skip
      fi
    }
    s = 0; t = 0; j = 0; ok = false; m = 0
}

/* Store::rebuild_free_map: in use is what the snapshots of both on_disk_ records reach (their trees
   are read through remember_blocks; a snapshot whose tree does not verify protects nothing). */
inline rebuild_free_map() {
  used = 0;
  for (s : 0 .. 1) {
    if
    :: ondisk[s].st == VALID ->
       for (ri : 0 .. K - 1) {
         if
         :: ri < ondisk[s].n ->
            node_ok(ondisk[s].rb[ri], ondisk[s].rid[ri]);
            if
            :: ok -> used = used | REACH(ondisk[s].rb[ri], ondisk[s].rid[ri])
            :: else -> skip
            fi
         :: else -> skip
         fi
       }
    :: else -> skip
    fi
  }
  s = 0; ri = 0; ok = false
}

/* Store::update_free_map(SQ) after the record went to slot NEW (rule 5). */
inline update_free_map(SQ, NEW) {
  sup[SQ] = superseding;
  superseding = 0;
  chere = chere | BIT(SQ);
  lowest = 255;
  allhere = true;
  for (s : 0 .. 1) {
    if
    :: ondisk[s].st == VALID ->
       for (ri : 0 .. K - 1) {
         if
         :: ri < ondisk[s].n ->
#ifdef MUTANT_EARLY_FREE
            if
            :: s == NEW && ondisk[s].seq[ri] < lowest -> lowest = ondisk[s].seq[ri]
            :: else -> skip
            fi;
#else
            if
            :: ondisk[s].seq[ri] < lowest -> lowest = ondisk[s].seq[ri]
            :: else -> skip
            fi;
#endif
            allhere = allhere && (chere & BIT(ondisk[s].seq[ri])) != 0
         :: else -> skip
         fi
       }
    :: else -> skip
    fi
  }
  s = 0; ri = 0;
  if
  :: incr && allhere ->
     for (t : 1 .. MAXSEQ) {
       if
       :: t <= lowest -> used = used & ~sup[t]; sup[t] = 0
       :: else -> skip
       fi;
       if
       :: t < lowest -> chere = chere & ~BIT(t)
       :: else -> skip
       fi
     }
  :: else ->
     rebuild_free_map();
     for (t : 1 .. MAXSEQ) {
       sup[t] = sup[t] & used;
       if
       :: t <= lowest -> sup[t] = 0
       :: else -> skip
       fi
     }
     if
     :: allhere -> incr = true
     :: else -> skip
     fi
  fi;
  printf("MSC: free map after commit %d: in use %x, incremental %d\n", SQ, used, incr);
  t = 0; lowest = 0; allhere = false
}

/* Image::read_slots: the current slot, and the previous one if it is valid and one generation older. */
inline read_slots() {
  havecur = false; haveprv = false; cur = 0; prv = 0;
  if
  :: sd[0].st == VALID && (sd[1].st != VALID || sd[0].gen > sd[1].gen) -> cur = 0; havecur = true
  :: sd[1].st == VALID && (sd[0].st != VALID || sd[1].gen > sd[0].gen) -> cur = 1; havecur = true
  :: else -> skip
  fi;
  if
  :: havecur && sd[1 - cur].st == VALID && sd[1 - cur].gen + 1 == sd[cur].gen -> prv = 1 - cur; haveprv = true
  :: else -> skip
  fi
}

/* rewrite_both_slots (record_rewrite.cc): nx as generations gen + 1 and gen + 2, flushing after each. */
inline rewrite_both_slots() {
  d_step { nx.gen = gen + 1; write_record(nx) }
  CP();
  d_step { flush() }
  CP();
  d_step { nx.gen = gen + 2; write_record(nx) }
  CP();
  d_step { flush() }
  CP()
}

/* One page to a fresh block (Store::write_pages), if the world wrote it or the cleaner copies it. */
inline write_page(P) {
  if
  :: ((w | c) & (1 << P)) != 0 ->
     d_step {
       alloc();
       write_block(b, DATAC(P, if_v[P]));
       superseding = superseding | BIT(tb[P]);
       tb[P] = b; tv[P] = if_v[P]; b = 0
     }
     CP()
  :: else
  fi
}

/* Store::run_snapshot + Store::commit (snapshot_cycle.cc). */
inline commit() {
  /* What the world wrote (w: pages), and the cleaner's plan from the last commit: pages in use that
     the world did not write, copied forward (c), or only the root node rewritten (nodeclean). */
  if
  :: w = 0
  :: cleanable && tb[0] != 0 -> w = 0; c = 1
  :: cleanable && tb[1] != 0 -> w = 0; c = 2
  :: cleanable && tb[0] != 0 && tb[1] != 0 -> w = 0; c = 3
  :: cleanable && trb != 0 -> w = 0; nodeclean = true
  :: w = 1
  :: cleanable && tb[1] != 0 -> w = 1; c = 2
  :: w = 2
  :: cleanable && tb[0] != 0 -> w = 2; c = 1
  :: w = 3
  fi;
  d_step {
    ops++;
    seq = rec.next;
    printf("MSC: commit %d (op %d): world wrote %d, cleaner copies %d, root only %d\n", seq, ops, w, c, nodeclean);
    if_ok = true; if_s = seq;
    for (i : 0 .. NPAGE - 1) {
      if
      :: (w & (1 << i)) != 0 -> if_v[i] = ops
      :: else -> if_v[i] = tv[i]
      fi
    }
    i = 0
  }
  /* Write-out: the pages (write_pages), then the dirty node (write_dirty_nodes), each to a fresh block. */
  write_page(0);
  write_page(1);
  if
  :: (w | c) != 0 || nodeclean ->
     d_step {
       alloc();
       gb[ops * NPAGE] = tb[0]; gv[ops * NPAGE] = tv[0];
       gb[ops * NPAGE + 1] = tb[1]; gv[ops * NPAGE + 1] = tv[1];
       write_block(b, NODEC(ops));
       superseding = superseding | BIT(trb);
       trb = b; trid = ops; b = 0
     }
     CP()
  :: else -> skip
  fi;
  /* Store::commit makes a one-flush commit when it sets report.one_flush (a small commit, no event-log
     block, and ONE_FLUSH_OK); here any commit that may be one may be either kind, whatever it wrote. */
  if
  :: ONE_FLUSH_OK -> one = true  /* no flush here: the record carries the verify bit, open checks instead */
  :: TWO_FLUSH_OK -> one = false;
#ifndef MUTANT_NO_FLUSH
     d_step { flush() };  /* rule 2: everything the record names is durable first */
     CP()
#else
     skip
#endif
  fi;
  /* The next record: the snapshot appended, the oldest dropped beyond retention, generation newest + 1
     (newest_generation()), to the older slot (rule 3). */
  d_step {
    rec_copy(nx, rec);
    if
    :: nx.n == K ->
       for (i : 0 .. K - 2) { nx.seq[i] = nx.seq[i + 1]; nx.rb[i] = nx.rb[i + 1]; nx.rid[i] = nx.rid[i + 1] }
       nx.n = K - 1
    :: else -> skip
    fi;
    nx.seq[nx.n] = seq; nx.rb[nx.n] = trb; nx.rid[nx.n] = trid; nx.n = nx.n + 1;
    nx.next = seq + 1;
    gen = 0;
    for (i : 0 .. 1) {
      if
      :: ondisk[i].st == VALID && ondisk[i].gen > gen -> gen = ondisk[i].gen
      :: else -> skip
      fi
    }
    nx.gen = gen + 1; gen = 0; i = 0;
    nx.st = VALID;
    nx.v = one; one = false;  /* next.verify_newest = one_flush */
    write_record(nx)
  }
  CP();
  d_step {
    flush();  /* rule 4 (and rule 2, in a one-flush commit) */
    /* snapshot() returns: acknowledged */
    ak_ok = true; ak_s = if_s; ak_v[0] = if_v[0]; ak_v[1] = if_v[1];
    if
    :: nx.v -> akid = akid | BIT(trid)  /* only a verify-bit record's newest may be excused by I2 */
    :: else -> skip
    fi;
    if_ok = false; if_s = 0; if_v[0] = 0; if_v[1] = 0
  }
  CP();
  d_step {
    nslot = nx.gen % 2;
    rec_copy(ondisk[nslot], nx);
    rec_copy(rec, nx);
    rec_zero(nx);
    update_free_map(seq, nslot);  /* rule 5 */
    cleanable = true;
    seq = 0; w = 0; c = 0; nodeclean = false; nslot = 0
  }
}

/* rollback() in world_info.cc, on a closed world (the store's memory is gone; its writes were flushed). */
inline rollback() {
  d_step { read_slots(); assert(havecur) }
  /* Any snapshot the current or the previous record names. */
  if
  :: sd[cur].n > 0 -> hold = cur
  :: haveprv && sd[prv].n > 0 -> hold = prv
  :: else -> hold = 2
  fi;
  if
  :: hold < 2 ->
     ri = 0;
     do
     :: ri + 1 < sd[hold].n -> ri++
     :: true -> break
     od;
     skip;
     d_step {
       seq = sd[hold].seq[ri];
       /* the holder: the current record if it names seq */
       for (i : 0 .. K - 1) {
         if
         :: i < sd[cur].n && sd[cur].seq[i] == seq -> hold = cur; ri = i
         :: else -> skip
         fi
       }
       i = 0;
       snap_intact(sd[hold].rb[ri], sd[hold].rid[ri])  /* never make a damaged snapshot current */
     }
     if
     :: ok ->
        d_step {
          printf("MSC: rollback to %d\n", seq);
          ok = false;
          if_ok = true; if_s = seq;
          if
          :: sd[hold].rb[ri] != 0 ->
             if_v[0] = gv[sd[hold].rid[ri] * NPAGE]; if_v[1] = gv[sd[hold].rid[ri] * NPAGE + 1]
          :: else -> if_v[0] = 0; if_v[1] = 0
          fi;
          rec_copy(nx, sd[hold]);
          rec_truncate(nx, seq);
          nx.v = false;  /* every block it names is durable: it was verified, and a flush came after */
          gen = sd[cur].gen;
          hold = 0; ri = 0; cur = 0; prv = 0; havecur = false; haveprv = false
        }
        rewrite_both_slots();
        d_step {  /* rollback() returns */
          ak_ok = true; ak_s = if_s; ak_v[0] = if_v[0]; ak_v[1] = if_v[1];
          if_ok = false; if_s = 0; if_v[0] = 0; if_v[1] = 0;
          rec_zero(nx); gen = 0; seq = 0
        }
     :: else -> ok = false  /* refused: nothing changes */
     fi
  :: else -> skip
  fi;
  d_step { hold = 0; ri = 0; seq = 0; cur = 0; prv = 0; havecur = false; haveprv = false }
}

init {
  /* ---- Store::create ---- */
  d_step {
    if_ok = true; if_s = 0; if_v[0] = 0; if_v[1] = 0;
    nx.st = VALID; nx.next = 1; nx.n = 0; nx.gen = 0;
    write_record(nx)
  }
  CP();
  d_step { nx.gen = 1; write_record(nx) }
  CP();
  d_step {
    flush();
    rec_zero(nx);
    /* create returns */
    ak_ok = true; ak_s = 0; ak_v[0] = 0; ak_v[1] = 0;
    if_ok = false
  }
  CP();
  goto reopen;

crash:
  /* Power is lost: each unflushed write lands, is lost or is torn, independently (so any subset lands,
     in any order). The commit slots first. */
  skip;
  d_step { crashes++; printf("MSC: crash\n"); s = 0 }
  do
  :: s < 2 && spd[s] ->
     if
     :: rec_copy(sd[s], sp[s]); printf("MSC:   slot %d landed\n", s)
     :: printf("MSC:   slot %d lost\n", s)
     :: rec_zero(sd[s]); sd[s].st = RTORN; printf("MSC:   slot %d torn\n", s)
     fi;
     d_step { spd[s] = false; rec_zero(sp[s]); s++ }
  :: s < 2 && !spd[s] -> s++
  :: else -> s = 0; break
  od;
  skip;
  /* Then the data blocks. Only what a valid record reaches can ever be read again: every other block is
     set to ZERO (it is free, and is written before anything names it). This keeps the state space
     small, and only removes cases where a stale block happens to match a reference, which could hide
     a fault but never cause one. A block a valid record still reaches, which only a one-flush commit's
     record can leave unflushed, lands or is torn. A lost write is not a third case: it leaves the old
     content, which no valid record names (I3), so to every reference it is a torn block (or, were it
     the same content, a landed one). */
  d_step {
    forget_unreached();
    b = FIRST;
    do
    :: b < NBLK && pc[b] == ZERO -> b++
    :: else -> break
    od
  }
  do
  :: b < NBLK ->  /* the next unflushed block */
     if
     :: dc[b] = pc[b]; printf("MSC:   block %d landed\n", b)
     :: dc[b] = TORN; printf("MSC:   block %d torn\n", b)
     fi;
     d_step {
       pc[b] = ZERO;
       do
       :: b < NBLK && pc[b] == ZERO -> b++
       :: else -> break
       od
     }
  :: else -> b = 0; break
  od;

reopen:
  skip;
  /* ---- Store::open: the process starts with nothing in memory ---- */
  d_step {
    rec_zero(rec); rec_zero(ondisk[0]); rec_zero(ondisk[1]); rec_zero(nx);
    tb[0] = 0; tb[1] = 0; tv[0] = 0; tv[1] = 0; trb = 0; trid = 0;
    used = 0; superseding = 0; chere = 0; incr = false; cleanable = false;
    for (i : 0 .. MAXSEQ) { sup[i] = 0 }
    i = 0; j = 0; b = 0; s = 0; t = 0; w = 0; c = 0; seq = 0; lowest = 0; hold = 0; ri = 0; gen = 0;
    skipped = 0; nslot = 0; ok = false; allhere = false; found = false; nodeclean = false; m = 0;
    read_slots()
  }
  if
  :: !havecur ->
     /* No usable record: open fails. Allowed only while create was in flight (I1). */
     if
     :: ak_ok -> printf("MSC: I1 violated: no usable commit record\n")
     :: else -> skip
     fi;
     assert(!ak_ok);
     goto done
  :: else -> skip
  fi;
  d_step {
    /* I2: every snapshot an accepted record names is intact, except the newest of a record with the
       verify bit, and that one only if its commit was never acknowledged. If that record is the
       current one, the verification rejects the damaged snapshot. (Restore, below, skips nothing
       else.) */
    other_newest(1 - cur);
    for (ri : 0 .. K - 1) {
      if
      :: ri < sd[cur].n ->
         snap_intact(sd[cur].rb[ri], sd[cur].rid[ri]);
         if
         :: !ok ->
            if
            :: !(sd[cur].v && ri + 1 == sd[cur].n && (akid & BIT(sd[cur].rid[ri])) == 0) ->
               printf("MSC: I2 violated: snapshot %d of the current record is damaged\n", sd[cur].seq[ri])
            :: else -> skip
            fi;
            assert(sd[cur].v && ri + 1 == sd[cur].n && (akid & BIT(sd[cur].rid[ri])) == 0);
            verify_newest(sd[cur].rb[ri], sd[cur].rid[ri], orb, orid);
            if
            :: ok -> printf("MSC: I2 violated: snapshot %d is damaged, and passes the verification\n", sd[cur].seq[ri])
            :: else -> skip
            fi;
            assert(!ok)
         :: else -> skip
         fi
      :: else -> skip
      fi;
      if
      :: haveprv && ri < sd[prv].n ->
         snap_intact(sd[prv].rb[ri], sd[prv].rid[ri]);
         if
         :: !ok && !(sd[prv].v && ri + 1 == sd[prv].n && (akid & BIT(sd[prv].rid[ri])) == 0) ->
            printf("MSC: I2 violated: snapshot %d of the previous record is damaged\n", sd[prv].seq[ri])
         :: else -> skip
         fi;
         assert(ok || (sd[prv].v && ri + 1 == sd[prv].n && (akid & BIT(sd[prv].rid[ri])) == 0))
      :: else -> skip
      fi
    }
    /* Store::restore: the newest snapshot that verifies, from the current record, then from the
       snapshots only the previous record names. With the verify bit, the newest is first checked by
       verify_newest. I2: a snapshot the verification did not reject is never skipped as damaged. */
    found = false; skipped = 0; hold = cur;
    ri = sd[cur].n;
    do
    :: ri > 0 && !found ->
       ri--;
       ok = true;
       if
       :: sd[cur].v && ri + 1 == sd[cur].n -> verify_newest(sd[cur].rb[ri], sd[cur].rid[ri], orb, orid)
       :: else -> skip
       fi;
       if
       :: ok ->
          snap_intact(sd[cur].rb[ri], sd[cur].rid[ri]);
          if
          :: !ok -> printf("MSC: I2 violated: restore skips damaged snapshot %d\n", sd[cur].seq[ri])
          :: else -> skip
          fi;
          assert(ok);
          found = true
       :: else -> skipped++
       fi
    :: else -> break
    od;
    orb = 0; orid = 0;
    if
    :: !found && haveprv ->
       hold = prv;
       ri = sd[prv].n;
       do
       :: ri > 0 && !found ->
          ri--;
          c = 0;  /* 1: the current record names this seq too */
          for (i : 0 .. K - 1) {
            if
            :: i < sd[cur].n && sd[cur].seq[i] == sd[prv].seq[ri] -> c = 1
            :: else -> skip
            fi
          }
          i = 0;
          if
          :: c == 0 ->
             snap_intact(sd[prv].rb[ri], sd[prv].rid[ri]);
             if
             :: !ok -> printf("MSC: I2 violated: restore skips damaged snapshot %d\n", sd[prv].seq[ri])
             :: else -> skip
             fi;
             assert(ok);
             found = true
          :: else -> skip
          fi;
          c = 0
       :: else -> break
       od
    :: else -> skip
    fi;
    /* What was restored: record_ (the holder, cut after the snapshot) and table_. */
    if
    :: found ->
       rec_copy(rec, sd[hold]);
       rec_truncate(rec, sd[hold].seq[ri]);
       rec.v = false;  /* each commit sets it anew; records that recovery writes never carry it */
       seq = sd[hold].seq[ri];
       trb = sd[hold].rb[ri]; trid = sd[hold].rid[ri]
    :: else ->
       /* No snapshot: an empty world. With candidates, open fails: "no intact snapshot left" (I1). */
       if
       :: !(sd[cur].n == 0 && !(haveprv && sd[prv].n > 0)) -> printf("MSC: I1 violated: no intact snapshot left\n")
       :: else -> skip
       fi;
       assert(sd[cur].n == 0 && !(haveprv && sd[prv].n > 0));
       rec_copy(rec, sd[cur]);
       rec.v = false;
       seq = 0; trb = 0; trid = 0
    fi;
    if
    :: trb != 0 ->
       tb[0] = gb[trid * NPAGE]; tv[0] = gv[trid * NPAGE];
       tb[1] = gb[trid * NPAGE + 1]; tv[1] = gv[trid * NPAGE + 1]
    :: else -> skip
    fi;
    printf("MSC: open: restored snapshot %d (versions %d, %d), %d skipped, previous record %d\n",
           seq, tv[0], tv[1], skipped, haveprv);
    /* I1: exactly the acknowledged state or the one in flight. */
    if
    :: !((ak_ok && seq == ak_s && tv[0] == ak_v[0] && tv[1] == ak_v[1]) ||
         (if_ok && seq == if_s && tv[0] == if_v[0] && tv[1] == if_v[1])) ->
       printf("MSC: I1 violated: restored %d (%d, %d), acknowledged %d (%d, %d), in flight %d (%d, %d)\n",
              seq, tv[0], tv[1], ak_s, ak_v[0], ak_v[1], if_s, if_v[0], if_v[1])
    :: else -> skip
    fi;
    assert((ak_ok && seq == ak_s && tv[0] == ak_v[0] && tv[1] == ak_v[1]) ||
           (if_ok && seq == if_s && tv[0] == if_v[0] && tv[1] == if_v[1]));
    /* From here on this is the state: a crash during recovery must come back to it. */
    ak_ok = true; ak_s = seq; ak_v[0] = tv[0]; ak_v[1] = tv[1];
    if_ok = false; if_s = 0; if_v[0] = 0; if_v[1] = 0;
    rec_copy(ondisk[cur], sd[cur]);
    if
    :: haveprv -> rec_copy(ondisk[prv], sd[prv])
    :: else -> skip
    fi;
    hold = 0; ri = 0; seq = 0; found = false; ok = false;
    /* Store::recover_if_needed: with a slot unusable or a snapshot skipped, both slots name record_ */
    if
    :: !haveprv || skipped > 0 -> rec_copy(nx, rec); gen = sd[cur].gen
    :: else -> skip
    fi;
    skipped = 0; cur = 0; prv = 0; havecur = false; haveprv = false
  }
  if
  :: nx.st == VALID ->
     rewrite_both_slots();
     d_step {
       rec_copy(ondisk[0], nx); ondisk[0].gen = nx.gen - (nx.gen % 2 == 0 -> 0 : 1);
       rec_copy(ondisk[1], nx); ondisk[1].gen = nx.gen - (nx.gen % 2 == 1 -> 0 : 1);
       rec.gen = nx.gen;
       rec_zero(nx); gen = 0
     }
  :: else -> skip
  fi;
  d_step {
    forget_unreached();  /* e.g. the blocks of a snapshot recovery dropped */
    rebuild_free_map()
  }

  /* ---- what the world does next ---- */
  do
  :: ops < NOPS -> commit()
  :: ops < NOPS -> ops++; rollback(); goto reopen
  :: ops >= NOPS -> break
  od;
done:
  skip
}

#pragma once

/// `APIG_DECL` marks apig's API: the classes and functions of these headers that libapig
/// defines. apig is compiled with hidden visibility, so a shared libapig exports these, and
/// of Asio only what Asio's own headers keep visible on purpose: the weak and unique
/// definitions behind its process-wide state (per-thread call stacks, service ids, error
/// categories), which must be one object per process for libapig to run on the host's
/// io_context. No Asio or Beast code is compiled strongly into apig, so nothing can clash
/// with the host's Asio. The macro needs no compile definition from the consumer: on ELF
/// platforms importing and exporting are the same attribute.
#if defined(__GNUC__) || defined(__clang__)
#define APIG_DECL __attribute__((visibility("default")))
#else
#define APIG_DECL
#endif

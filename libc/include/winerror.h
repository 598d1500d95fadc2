/* Win32 error codes the memory APIs set (winerror.h). */
#ifndef _WINERROR_H
#define _WINERROR_H

#define ERROR_SUCCESS 0L
#define NO_ERROR 0L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_BAD_LENGTH 24L
#define ERROR_GEN_FAILURE 31L
#define ERROR_INVALID_PARAMETER 87L
#define ERROR_DISCARDED 157L
#define ERROR_NOT_LOCKED 158L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_NO_MORE_ITEMS 259L
#define ERROR_INVALID_ADDRESS 487L
#define ERROR_NOACCESS 998L
#define ERROR_COMMITMENT_LIMIT 1455L
#define ERROR_MR_MID_NOT_FOUND 317L

/* ---- DEP (issue 18) ---- */
#ifndef ERROR_ACCESS_DENIED
#define ERROR_ACCESS_DENIED 5L
#endif
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50L
#endif
/* ---- end of DEP ---- */
/* Threads, waits and handles (issue 13). */
#define ERROR_ACCESS_DENIED 5L
#define ERROR_NOT_SUPPORTED 50L
#define ERROR_SIGNAL_REFUSED 156L
#define ERROR_NOT_OWNER 288L
#define ERROR_TOO_MANY_POSTS 298L
#define ERROR_MUTANT_LIMIT_EXCEEDED 587L
#define ERROR_NO_SYSTEM_RESOURCES 1450L

/* ---- issue 15: processes ---- */
#define ERROR_FILE_NOT_FOUND 2L
#define ERROR_INSUFFICIENT_BUFFER 122L
#define ERROR_INVALID_NAME 123L
#define ERROR_FILENAME_EXCED_RANGE 206L
#define ERROR_PARTIAL_COPY 299L
/* ---- end of issue 15 ---- */

/* ---- issue 19: working sets, VirtualLock ---- */
#define ERROR_PRIVILEGE_NOT_HELD 1314L
#define ERROR_WORKING_SET_QUOTA 1453L
/* ---- end of issue 19 ---- */

#endif

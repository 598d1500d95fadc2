/* Win32 error codes the memory APIs set (winerror.h). */
#ifndef _WINERROR_H
#define _WINERROR_H

#define ERROR_SUCCESS 0L
#define ERROR_INVALID_HANDLE 6L
#define ERROR_NOT_ENOUGH_MEMORY 8L
#define ERROR_BAD_LENGTH 24L
#define ERROR_INVALID_PARAMETER 87L
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

#endif

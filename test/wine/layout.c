/* The truth source for linkplan's Win32 bindings (src/drivers/windows/win32.ts): prints, as JSON,
 * every constant the bindings declare and the size and member offsets of every structure they
 * fill, as the Windows SDK headers (mingw-w64's) define them. test/windows-wine.test.ts compiles
 * it with x86_64-w64-mingw32-gcc, runs it under Wine and compares with win32.ts and with the
 * layouts koffi computes there. */
#define _WIN32_WINNT 0x0A00
#include <windows.h>
#include <winioctl.h>
#include <winternl.h>
#include <restartmanager.h>
#include <stddef.h>
#include <stdio.h>

#define C(name) printf("%s\"%s\": %lld", first ? "" : ",\n  ", #name, (long long)(name)), first = 0
#define CN(name, value) printf("%s\"%s\": %lld", first ? "" : ",\n  ", name, (long long)(value)), first = 0
#define S(type) printf("%s\"%s\": {\"size\": %u, \"offsets\": {", sfirst ? "" : ",\n  ", #type, (unsigned)sizeof(type)), sfirst = 0, mfirst = 1
#define M(type, member) printf("%s\"%s\": %u", mfirst ? "" : ", ", #member, (unsigned)offsetof(type, member)), mfirst = 0
#define E() printf("}}")

int main(void) {
  int first = 1, sfirst = 1, mfirst = 1;
  printf("{\"constants\": {\n  ");
  C(GENERIC_READ); C(GENERIC_WRITE); C(FILE_READ_ATTRIBUTES); C(FILE_WRITE_ATTRIBUTES); C(DELETE);
  C(FILE_SHARE_READ); C(FILE_SHARE_WRITE); C(FILE_SHARE_DELETE); C(OPEN_EXISTING);
  C(FILE_FLAG_OPEN_REPARSE_POINT); C(FILE_FLAG_BACKUP_SEMANTICS);
  C(FILE_ATTRIBUTE_READONLY); C(FILE_ATTRIBUTE_HIDDEN); C(FILE_ATTRIBUTE_SYSTEM); C(FILE_ATTRIBUTE_ARCHIVE);
  C(FILE_ATTRIBUTE_COMPRESSED); C(FILE_ATTRIBUTE_ENCRYPTED); C(FILE_READ_DATA); C(FILE_WRITE_DATA);
  C(FILE_ATTRIBUTE_DIRECTORY); C(FILE_ATTRIBUTE_REPARSE_POINT); C(INVALID_FILE_ATTRIBUTES);
  C(FSCTL_SET_REPARSE_POINT); C(FSCTL_GET_REPARSE_POINT); C(FSCTL_DELETE_REPARSE_POINT); C(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
  C(SYMBOLIC_LINK_FLAG_DIRECTORY); C(SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE);
  C(FindExInfoBasic); C(FindExSearchNameMatch); C(FIND_FIRST_EX_LARGE_FETCH);
  C(FileAttributeTagInfo); C(FileDispositionInfo); C(FileBasicInfo); C(FileFullDirectoryInfo); C(FileFullDirectoryRestartInfo); C(FILE_ATTRIBUTE_NORMAL);
  C(FILE_NAME_NORMALIZED); C(VOLUME_NAME_DOS); C(VOLUME_NAME_GUID); C(MAX_PATH);
  CN("INVALID_HANDLE_VALUE", (INT_PTR)INVALID_HANDLE_VALUE);
  C(ERROR_ACCESS_DENIED); C(ERROR_FILE_NOT_FOUND); C(ERROR_PATH_NOT_FOUND); C(ERROR_NO_MORE_FILES); C(ERROR_HANDLE_EOF);
  C(ERROR_NOT_SUPPORTED); C(ERROR_INVALID_PARAMETER); C(ERROR_INSUFFICIENT_BUFFER); C(ERROR_MORE_DATA);
  C(ERROR_PRIVILEGE_NOT_HELD); C(ERROR_NOT_A_REPARSE_POINT); C(ERROR_CANT_RESOLVE_FILENAME);
  C(SYNCHRONIZE); C(FILE_LIST_DIRECTORY); C(FILE_TRAVERSE); C(FILE_SUPPORTS_REPARSE_POINTS);
  C(FILE_OPEN); C(FILE_CREATE); C(FILE_DIRECTORY_FILE); C(FILE_SYNCHRONOUS_IO_NONALERT); C(FILE_NON_DIRECTORY_FILE);
  C(FILE_OPEN_FOR_BACKUP_INTENT); C(FILE_OPEN_REPARSE_POINT); C(OBJ_CASE_INSENSITIVE);
  C(FileRenameInformation); C(FileLinkInformation);
  C(ERROR_SHARING_VIOLATION); C(ERROR_LOCK_VIOLATION);
  C(CCH_RM_SESSION_KEY); C(CCH_RM_MAX_APP_NAME); C(CCH_RM_MAX_SVC_NAME); C(RmService);
  printf("\n},\n\"structs\": {\n  ");
  S(FILETIME); M(FILETIME, dwLowDateTime); M(FILETIME, dwHighDateTime); E();
  S(BY_HANDLE_FILE_INFORMATION); M(BY_HANDLE_FILE_INFORMATION, dwFileAttributes); M(BY_HANDLE_FILE_INFORMATION, ftCreationTime);
  M(BY_HANDLE_FILE_INFORMATION, ftLastAccessTime); M(BY_HANDLE_FILE_INFORMATION, ftLastWriteTime);
  M(BY_HANDLE_FILE_INFORMATION, dwVolumeSerialNumber); M(BY_HANDLE_FILE_INFORMATION, nFileSizeHigh); M(BY_HANDLE_FILE_INFORMATION, nFileSizeLow);
  M(BY_HANDLE_FILE_INFORMATION, nNumberOfLinks); M(BY_HANDLE_FILE_INFORMATION, nFileIndexHigh); M(BY_HANDLE_FILE_INFORMATION, nFileIndexLow); E();
  S(FILE_ATTRIBUTE_TAG_INFO); M(FILE_ATTRIBUTE_TAG_INFO, FileAttributes); M(FILE_ATTRIBUTE_TAG_INFO, ReparseTag); E();
  S(FILE_DISPOSITION_INFO); M(FILE_DISPOSITION_INFO, DeleteFile); E();
  S(WIN32_FIND_DATAW); M(WIN32_FIND_DATAW, dwFileAttributes); M(WIN32_FIND_DATAW, ftCreationTime); M(WIN32_FIND_DATAW, ftLastAccessTime);
  M(WIN32_FIND_DATAW, ftLastWriteTime); M(WIN32_FIND_DATAW, nFileSizeHigh); M(WIN32_FIND_DATAW, nFileSizeLow);
  M(WIN32_FIND_DATAW, dwReserved0); M(WIN32_FIND_DATAW, dwReserved1); M(WIN32_FIND_DATAW, cFileName); M(WIN32_FIND_DATAW, cAlternateFileName); E();
  S(FILE_BASIC_INFO); M(FILE_BASIC_INFO, CreationTime); M(FILE_BASIC_INFO, LastAccessTime); M(FILE_BASIC_INFO, LastWriteTime);
  M(FILE_BASIC_INFO, ChangeTime); M(FILE_BASIC_INFO, FileAttributes); E();
  S(FILE_FULL_DIR_INFO); M(FILE_FULL_DIR_INFO, NextEntryOffset); M(FILE_FULL_DIR_INFO, FileIndex); M(FILE_FULL_DIR_INFO, CreationTime);
  M(FILE_FULL_DIR_INFO, LastAccessTime); M(FILE_FULL_DIR_INFO, LastWriteTime); M(FILE_FULL_DIR_INFO, ChangeTime); M(FILE_FULL_DIR_INFO, EndOfFile);
  M(FILE_FULL_DIR_INFO, AllocationSize); M(FILE_FULL_DIR_INFO, FileAttributes); M(FILE_FULL_DIR_INFO, FileNameLength); M(FILE_FULL_DIR_INFO, EaSize);
  M(FILE_FULL_DIR_INFO, FileName); E();
  S(UNICODE_STRING); M(UNICODE_STRING, Length); M(UNICODE_STRING, MaximumLength); M(UNICODE_STRING, Buffer); E();
  S(OBJECT_ATTRIBUTES); M(OBJECT_ATTRIBUTES, Length); M(OBJECT_ATTRIBUTES, RootDirectory); M(OBJECT_ATTRIBUTES, ObjectName);
  M(OBJECT_ATTRIBUTES, Attributes); M(OBJECT_ATTRIBUTES, SecurityDescriptor); M(OBJECT_ATTRIBUTES, SecurityQualityOfService); E();
  S(IO_STATUS_BLOCK); M(IO_STATUS_BLOCK, Status); M(IO_STATUS_BLOCK, Information); E();
  S(FILE_RENAME_INFORMATION); M(FILE_RENAME_INFORMATION, ReplaceIfExists); M(FILE_RENAME_INFORMATION, RootDirectory);
  M(FILE_RENAME_INFORMATION, FileNameLength); M(FILE_RENAME_INFORMATION, FileName); E();
  S(FILE_LINK_INFORMATION); M(FILE_LINK_INFORMATION, ReplaceIfExists); M(FILE_LINK_INFORMATION, RootDirectory);
  M(FILE_LINK_INFORMATION, FileNameLength); M(FILE_LINK_INFORMATION, FileName); E();
  S(RM_UNIQUE_PROCESS); M(RM_UNIQUE_PROCESS, dwProcessId); M(RM_UNIQUE_PROCESS, ProcessStartTime); E();
  S(RM_PROCESS_INFO); M(RM_PROCESS_INFO, Process); M(RM_PROCESS_INFO, strAppName); M(RM_PROCESS_INFO, strServiceShortName);
  M(RM_PROCESS_INFO, ApplicationType); M(RM_PROCESS_INFO, AppStatus); M(RM_PROCESS_INFO, TSSessionId); M(RM_PROCESS_INFO, bRestartable); E();
  printf("\n}}\n");
  return 0;
}

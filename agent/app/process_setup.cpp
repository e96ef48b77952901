#include "app/process_setup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>

namespace dynostatsd {

void reopenClosedStandardFds() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() takes the lowest free number, which is `fd` since the lower ones are open by now.
    const int opened = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
}

void ignoreFatalSignalsUntilHandled() {
  for (int signum : {SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM}) ::signal(signum, SIG_IGN);
}

}  // namespace dynostatsd

# paths.xsh: XSUBs of package IO::AIO, INCLUDEd by AIO.xs; must end in package IO::AIO with PROTOTYPES: ENABLE.


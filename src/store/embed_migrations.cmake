# Generates a C++ source holding every migration of one dialect, so the binary
# carries its schema. Invoked at build time with -DDIALECT= -DSRC_DIR= -DOUT=.
file(GLOB files "${SRC_DIR}/[0-9][0-9][0-9][0-9]_*.sql")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME_WE)
  string(SUBSTRING "${name}" 0 4 version)
  math(EXPR version "${version}")
  file(READ "${f}" sql)
  string(APPEND body "    {${version}, \"${name}\", R\"autovoice_sql(${sql})autovoice_sql\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from src/store/migrations/${DIALECT}/ by embed_migrations.cmake.\n#include \"store/store.h\"\n\nnamespace autovoice {\nnamespace {\nconstexpr Migration kMigrations[] = {\n${body}};\n}  // namespace\n\nstd::span<const Migration> ${DIALECT}_migrations() { return kMigrations; }\n\n}  // namespace autovoice\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)

/// The SQL of each migration, one file per version.
enum Migrations {}

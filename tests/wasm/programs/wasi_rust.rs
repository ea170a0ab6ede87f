// WASI end-to-end in Rust (std on wasm32-wasi, through the same wasi-libc): arguments, environment,
// files and directories in the preopened "/", clocks and a sleep, stderr, the exit code.
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("args: {:?}", args);
    println!("GREETING: {:?}", std::env::var("GREETING").ok());

    fs::create_dir_all("rust/inner").expect("create_dir_all");
    fs::write("rust/inner/data.txt", b"written by rust\n").expect("write");
    let mut f = fs::OpenOptions::new().append(true).open("/rust/inner/data.txt").expect("open append");
    f.write_all(b"appended\n").expect("append");
    drop(f);
    let mut f = fs::File::open("rust/inner/data.txt").expect("open");
    f.seek(SeekFrom::Start(11)).expect("seek");
    let mut rest = String::new();
    f.read_to_string(&mut rest).expect("read");
    print!("from offset 11: {}", rest);
    println!("size: {}", fs::metadata("rust/inner/data.txt").expect("metadata").len());
    fs::rename("rust/inner/data.txt", "rust/moved.txt").expect("rename");
    let mut names: Vec<String> = fs::read_dir("rust").expect("read_dir")
        .map(|e| e.expect("entry").file_name().into_string().unwrap()).collect();
    names.sort();
    println!("rust/: {:?}", names);
    println!("missing: {}", fs::read("rust/inner/data.txt").map(|_| "found".to_string()).unwrap_or_else(|e| format!("{:?}", e.kind())));
    fs::remove_file("rust/moved.txt").expect("remove_file");
    fs::remove_dir("rust/inner").expect("remove_dir");
    fs::remove_dir("rust").expect("remove_dir");

    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_secs();
    println!("after 2020: {}", since > 1_577_836_800);
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(25));
    println!("slept 25 ms: {}", start.elapsed() >= Duration::from_millis(25));
    eprintln!("rust to stderr");
    std::process::exit(3);
}

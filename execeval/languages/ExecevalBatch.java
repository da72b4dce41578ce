// execeval's Java batch driver: runs a compiled program's main once per input inside one JVM (start-up paid once).
//
//   java -cp .execeval ExecevalBatch MAIN_CLASS N CPU_MS WALL_MS MAX_OUTPUT_BYTES STACK_BYTES
//
// Input i is read from in/i; its stdout, stderr and status go to out/i.stdout, out/i.stderr, out/i.status, which
// the harness collects (execeval/languages/build.py: run_batch). Each input gets a fresh class loader (fresh
// static state), its own System.in/out/err, and a new "main" thread with a STACK_BYTES stack. An exception ends
// that input only; System.exit is turned into an exception for the program's threads by a SecurityManager (Java
// 17: -Djava.security.manager=allow); the first input over its CPU or wall budget is reported as a timeout and
// the JVM halts there (a thread cannot be stopped safely), so later inputs are not run.
//
// Status line: KIND EXIT_CODE CPU_MS WALL_MS ERROR_TYPE, with "-" for none; KIND is one of ok, failed, timeout,
// memory_limit, output_limit. The program shares this JVM: see docs/languages.md for what it could forge.

import java.io.*;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.Permission;

public final class ExecevalBatch {
    /** What System.exit becomes inside the program's threads: an Error, so `catch (Exception e)` in the program
     *  does not stop it (a real exit cannot be caught at all; `catch (Throwable t)` and `finally` still see it). */
    static final class Exit extends Error {
        final int status;
        Exit(int status) { super("System.exit(" + status + ")", null, false, false); this.status = status; }
    }

    /** Thrown into the program when it writes past the output cap. */
    static final class OutputLimit extends Error {
        OutputLimit() { super("output limit", null, false, false); }
    }

    static final class Capped extends OutputStream {
        final OutputStream out;
        long left;
        volatile boolean over;
        Capped(OutputStream out, long cap) { this.out = out; this.left = cap; }
        @Override public synchronized void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
        @Override public synchronized void write(byte[] b, int off, int len) throws IOException {
            int n = (int) Math.min(len, left);
            if (n > 0) { out.write(b, off, n); left -= n; }
            if (n < len) { over = true; throw new OutputLimit(); }
        }
        @Override public synchronized void flush() throws IOException { out.flush(); }
    }

    /** One input's run: the program's thread group, what it asked for, how it ended. */
    static final class Run {
        final ThreadGroup group;
        volatile Integer exitCode;
        volatile Throwable error;
        Run(int i) { group = new ThreadGroup("input-" + i); }
        boolean owns(Thread t) { ThreadGroup g = t.getThreadGroup(); return g != null && group.parentOf(g); }
    }

    static volatile Run running;

    static final class Guard extends SecurityManager {
        @Override public void checkPermission(Permission p) {
            Run r = running;
            if (r != null && "setSecurityManager".equals(p.getName()) && r.owns(Thread.currentThread())) {
                throw new SecurityException("setSecurityManager");
            }
        }
        @Override public void checkPermission(Permission p, Object context) { checkPermission(p); }
        @Override public void checkExit(int status) {
            Run r = running;
            if (r != null && r.owns(Thread.currentThread())) {
                synchronized (r) { if (r.exitCode == null) r.exitCode = status; }
                throw new Exit(status);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String mainClass = args[0];
        int n = Integer.parseInt(args[1]);
        long cpuNs = Long.parseLong(args[2]) * 1_000_000L, wallNs = Long.parseLong(args[3]) * 1_000_000L;
        long maxOut = Long.parseLong(args[4]), stack = Long.parseLong(args[5]);
        boolean guarded = true;
        try {
            System.setSecurityManager(new Guard());
        } catch (UnsupportedOperationException e) {  // Java 24+: System.exit ends the batch (the harness resumes)
            guarded = false;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        URL[] classpath = {Paths.get(".").toUri().toURL()};
        Files.createDirectories(Paths.get("out"));
        for (int i = 0; i < n; i++) {
            byte[] input = Files.readAllBytes(Paths.get("in", Integer.toString(i)));
            Capped out = new Capped(new BufferedOutputStream(new FileOutputStream("out/" + i + ".stdout"), 1 << 16), maxOut);
            Capped err = new Capped(new FileOutputStream("out/" + i + ".stderr"), maxOut);
            PrintStream pout = new PrintStream(out, false, StandardCharsets.UTF_8);
            PrintStream perr = new PrintStream(err, true, StandardCharsets.UTF_8);
            System.setIn(new ByteArrayInputStream(input));
            System.setOut(pout);
            System.setErr(perr);
            Run run = new Run(i);
            URLClassLoader loader = new URLClassLoader(classpath, ClassLoader.getPlatformClassLoader());
            Thread thread = new Thread(run.group, () -> invokeMain(loader, mainClass, run), "main", stack);
            thread.setContextClassLoader(loader);
            final int index = i;
            Thread hook = guarded ? null : new Thread(() -> finish(index, "exited", run, pout, perr, out, err, 0, 0));
            if (hook != null) Runtime.getRuntime().addShutdownHook(hook);
            running = run;
            long start = System.nanoTime();
            thread.start();
            long cpu = 0;
            boolean late = false;
            while (thread.isAlive()) {
                thread.join(5);
                long used = threads.getThreadCpuTime(thread.getId());
                cpu = Math.max(cpu, used);
                if (cpu > cpuNs || System.nanoTime() - start > wallNs) { late = true; break; }
            }
            long wall = System.nanoTime() - start;
            String kind = out.over || err.over ? "output_limit" : late ? "timeout" : null;
            if (hook != null) Runtime.getRuntime().removeShutdownHook(hook);
            finish(i, kind, run, pout, perr, out, err, cpu, wall);
            if (late) Runtime.getRuntime().halt(0);  // its thread cannot be stopped: the rest are not run
            running = null;
            try { loader.close(); } catch (IOException ignored) { }
        }
        Runtime.getRuntime().halt(0);  // threads the program left running must not keep the JVM alive
    }

    static void invokeMain(ClassLoader loader, String mainClass, Run run) {
        try {
            Class<?> c = Class.forName(mainClass, true, loader);
            Method m = c.getMethod("main", String[].class);
            m.setAccessible(true);  // MultiPL-E's `class Problem` is package-private
            m.invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            run.error = e.getCause();
        } catch (Throwable e) {
            run.error = e;
        }
        Throwable e = run.error;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Exit) { run.error = null; return; }
        }
        if (e != null && !(e instanceof OutputLimit)) {
            System.err.print("Exception in thread \"main\" ");  // what the java launcher prints
            e.printStackTrace();
        }
    }

    static void finish(int i, String kind, Run run, PrintStream pout, PrintStream perr, Capped out, Capped err,
                       long cpuNs, long wallNs) {
        Integer code = run.exitCode;
        Throwable e = run.error;
        if (kind == null) {
            if (e instanceof OutOfMemoryError) kind = "memory_limit";
            else if (e != null) kind = "failed";
            else kind = code == null || code == 0 ? "ok" : "failed";
        }
        String exit = code != null ? code.toString() : e != null ? "1" : kind.equals("ok") ? "0" : "-";
        String type = e == null ? "-" : e.getClass().getSimpleName().isEmpty() ? e.getClass().getName() : e.getClass().getSimpleName();
        try { pout.flush(); } catch (Throwable ignored) { }  // past the cap: out.over is already set
        try { perr.flush(); } catch (Throwable ignored) { }
        String line = kind + " " + exit + " " + cpuNs / 1_000_000L + " " + wallNs / 1_000_000L + " " + type + "\n";
        try {
            out.out.close();
            err.out.close();
            Files.write(Paths.get("out", i + ".status"), line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}

// A JVM program with no TLS in it, for attls to wrap.
//   server PORT DIR: the JDK's HttpServer, serving the files in DIR.
//   client PORT SIZE...: NIO: a non-blocking connect and one selector for
//   all the connections; each sends SIZE random bytes and checks that the
//   echo is the same by SHA-256. Exits 1 on any difference.
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Executors;

public class EventLoop {
	public static void main(String[] args) throws Exception {
		int port = Integer.parseInt(args[1]);
		if (args[0].equals("server"))
			serve(port, Path.of(args[2]));
		else
			System.exit(clients(port, Arrays.copyOfRange(args, 2, args.length)) ? 0 : 1);
	}

	static void serve(int port, Path dir) throws Exception {
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
		server.createContext("/", exchange -> {
			Path file = dir.resolve(exchange.getRequestURI().getPath().substring(1));
			byte[] body = Files.readAllBytes(file);
			exchange.sendResponseHeaders(200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		});
		server.setExecutor(Executors.newFixedThreadPool(4));
		server.start();
	}

	static final class Conn {
		byte[] sent;
		ByteBuffer out;
		MessageDigest got = MessageDigest.getInstance("SHA-256");
		long received;

		Conn(int size) throws Exception {
			sent = new byte[size];
			new Random(size).nextBytes(sent);
			out = ByteBuffer.wrap(sent);
		}
	}

	static boolean clients(int port, String[] sizes) throws Exception {
		Selector sel = Selector.open();
		for (String s : sizes) {
			SocketChannel ch = SocketChannel.open();
			ch.configureBlocking(false);
			ch.connect(new InetSocketAddress("127.0.0.1", port));
			ch.register(sel, SelectionKey.OP_CONNECT, new Conn(Integer.parseInt(s)));
		}
		int open = sizes.length;
		boolean ok = true;
		ByteBuffer in = ByteBuffer.allocate(65536);
		long end = System.currentTimeMillis() + 60000;
		while (open > 0 && System.currentTimeMillis() < end) {
			sel.select(1000);
			for (SelectionKey key : sel.selectedKeys()) {
				SocketChannel ch = (SocketChannel) key.channel();
				Conn c = (Conn) key.attachment();
				if (key.isConnectable()) {
					ch.finishConnect();
					key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
					continue;
				}
				if (key.isWritable()) {
					ch.write(c.out);
					if (!c.out.hasRemaining())
						key.interestOps(SelectionKey.OP_READ);
				}
				if (key.isReadable()) {
					in.clear();
					int n = ch.read(in);
					if (n > 0) {
						c.got.update(in.array(), 0, n);
						c.received += n;
					}
					if (n < 0 || c.received >= c.sent.length) {
						boolean same = c.received == c.sent.length && Arrays.equals(
							c.got.digest(), MessageDigest.getInstance("SHA-256").digest(c.sent));
						System.out.println("size=" + c.sent.length + " received=" + c.received
								   + (same ? " intact" : " CORRUPT"));
						ok &= same;
						key.cancel();
						ch.close();
						open--;
					}
				}
			}
			sel.selectedKeys().clear();
		}
		return ok && open == 0;
	}
}

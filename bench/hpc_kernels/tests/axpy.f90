program tests
  use hpc_test_support
  implicit none
  external :: axpy
  integer :: sizes(4) = [0, 1, 7, 3000001], s, n, i
  double precision, allocatable :: x(:), y(:), y0(:)
  do s = 1, 4
    n = sizes(s)
    allocate(x(n), y(n), y0(n))
    call t_vec(x, 0.001d0, 0d0); call t_vec(y, 0.002d0, 1d0); y0 = y
    call axpy(n, 2.5d0, x, y)
    do i = 1, n
      if (.not. t_close(y(i), y0(i) + 2.5d0 * x(i), 1d-14)) error stop "FAILED: axpy"
    end do
    deallocate(x, y, y0)
  end do
end program tests
